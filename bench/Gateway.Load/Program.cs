using System.Globalization;
using Gateway.Load;

// Load tools for bench/: soak (bench/soak.sh), latency (bench/latency.sh), memory (bench/memory.sh).
// Each starts the Release gateway itself; run from the repository root.
static int Usage()
{
    Console.Error.WriteLine("""
        usage: Gateway.Load soak GATEWAY_DLL MESSAGES CONCURRENCY FAULT_RATE
               Gateway.Load latency GATEWAY_DLL MESSAGES CONCURRENCY MESSAGE_FILE...
               Gateway.Load memory GATEWAY_DLL SESSIONS MESSAGE_KB BIG_MB
        """);
    return 2;
}

static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);

return args switch
{
    ["soak", var dll, var messages, var concurrency, var faultRate] => await Soak.RunAsync(dll, Int(messages), Int(concurrency), double.Parse(faultRate, CultureInfo.InvariantCulture)),
    ["latency", var dll, var messages, var concurrency, .. var files] when files.Length > 0 => await Latency.RunAsync(dll, Int(messages), Int(concurrency), files),
    ["memory", var dll, var sessions, var kilobytes, var megabytes] => await MemoryUse.RunAsync(dll, Int(sessions), Int(kilobytes), Int(megabytes)),
    _ => Usage(),
};
