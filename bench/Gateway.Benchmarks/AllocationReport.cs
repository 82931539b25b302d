using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace Gateway.Benchmarks;

/// <summary>
/// What allocates, from a trace of the running gateway: the GC's allocation ticks (one event per ~100 KB
/// allocated, with the type of the object that crossed the mark and its stack) summed by type, by the first
/// frame outside the framework (who asked for it), and by large objects (the large object heap, collected
/// only with generation 2). Taking the trace (bench/RESULTS.md, "Allocation per message"):
///   dotnet tool install --tool-path /tmp/dtools dotnet-trace
///   /tmp/dtools/dotnet-trace collect -p GATEWAY_PID --profile gc-verbose -o run.nettrace
///   dotnet run -c Release --project bench/Gateway.Benchmarks -- allocations run.nettrace [ROWS]
/// The figures are sampled: read them as shares, and compare two builds under the same load.
/// </summary>
internal static class AllocationReport
{
    public static int Run(string tracePath, int rows)
    {
        if (!File.Exists(tracePath))
        {
            Console.Error.WriteLine($"allocations: {tracePath}: no such file");
            return 2;
        }

        using var log = new TraceLog(TraceLog.CreateFromEventPipeDataFile(tracePath));
        var byType = new Dictionary<string, double>(StringComparer.Ordinal);
        var byCaller = new Dictionary<string, double>(StringComparer.Ordinal);
        var large = new Dictionary<string, double>(StringComparer.Ordinal);
        double total = 0;
        foreach (var traceEvent in log.Events)
        {
            if (traceEvent is not GCAllocationTickTraceData tick)
            {
                continue;
            }

            var type = tick.TypeName ?? "?";
            var amount = (double)tick.AllocationAmount64;
            var caller = FirstCallerOutsideFramework(traceEvent.CallStack()) ?? "?";
            total += amount;
            Add(byType, type, amount);
            Add(byCaller, $"{type} <- {caller}", amount);
            if (tick.AllocationKind == GCAllocationKind.Large)
            {
                Add(large, $"{type} <- {caller}", amount);
            }
        }

        Console.WriteLine($"{total / 1e6:F1} MB sampled, {large.Values.Sum() / 1e6:F1} MB of it large objects");
        Print("by type", byType, total, rows);
        Print("by who asked (first frame outside System.*)", byCaller, total, rows);
        Print("large objects, by who asked", large, total, rows);
        return 0;
    }

    private static void Add(Dictionary<string, double> into, string key, double amount) =>
        into[key] = into.GetValueOrDefault(key) + amount;

    /// <summary>The first frame of ours or a library's: the framework's own frames say how, not who.</summary>
    private static string? FirstCallerOutsideFramework(TraceCallStack? stack)
    {
        for (var frame = stack; frame is not null; frame = frame.Caller)
        {
            var name = frame.CodeAddress.FullMethodName;
            if (!string.IsNullOrEmpty(name) && !name.StartsWith("System.", StringComparison.Ordinal))
            {
                var parameters = name.IndexOf('(', StringComparison.Ordinal);
                return parameters > 0 ? name[..parameters] : name;
            }
        }

        return null;
    }

    private static void Print(string title, Dictionary<string, double> amounts, double total, int rows)
    {
        Console.WriteLine($"== {title}");
        foreach (var (key, amount) in amounts.OrderByDescending(pair => pair.Value).Take(rows))
        {
            Console.WriteLine($"{amount / 1e6,9:F1} MB {100 * amount / Math.Max(total, 1),5:F1} %  {key}");
        }
    }
}
