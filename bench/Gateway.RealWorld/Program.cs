using System.Globalization;
using Gateway.RealWorld;

// Tools for bench/realworld.sh: a generated sending population with its DNS, and a STARTTLS sender.
static int Usage()
{
    Console.Error.WriteLine("""
        usage: Gateway.RealWorld prepare SHARED_FOLDER OUTPUT_FOLDER DOMAINS MESSAGES TTL
               Gateway.RealWorld dns PORT DELAY_MS ZONE_FILE NEGATIVE_TTL
               Gateway.RealWorld load HOST:PORT CONCURRENCY MESSAGES tls|clear POPULATION_FOLDER
               Gateway.RealWorld dns-stats PORT [reset]
        """);
    return 2;
}

static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);

return args switch
{
    ["prepare", var shared, var output, var domains, var messages, var ttl] => await Population.PrepareAsync(shared, output, Int(domains), Int(messages), Int(ttl)),
    ["dns", var port, var delay, var zone, var negativeTtl] => await BenchDns.RunAsync(Int(port), Int(delay), zone, Int(negativeTtl)),
    ["load", var target, var concurrency, var messages, var mode and ("tls" or "clear"), var population] => await TlsLoad.RunAsync(target, Int(concurrency), Int(messages), mode == "tls", population),
    ["dns-stats", var port, .. var rest] => await DnsStats.PrintAsync(Int(port), rest is ["reset"]),
    _ => Usage(),
};
