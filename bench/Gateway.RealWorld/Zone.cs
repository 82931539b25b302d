using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace Gateway.RealWorld;

/// <summary>
/// The population's zone data as a plain text file, one record a line: <c>name TYPE ttl data</c>
/// (A: an address; MX: preference and host; PTR: a host; TXT: the rest of the line, split into 255-byte strings).
/// </summary>
internal static class Zone
{
    public static string Line(string name, string type, int ttl, string data) => $"{name} {type} {ttl} {data}";

    public static Dictionary<string, List<DnsRecordBase>> Load(string file)
    {
        var zone = new Dictionary<string, List<DnsRecordBase>>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in File.ReadLines(file))
        {
            var parts = line.Split(' ', 4);
            var name = DomainName.Parse(parts[0]);
            var ttl = int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
            DnsRecordBase record = parts[1] switch
            {
                "A" => new ARecord(name, ttl, IPAddress.Parse(parts[3])),
                "MX" => new MxRecord(name, ttl, ushort.Parse(parts[3].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture), DomainName.Parse(parts[3].Split(' ')[1])),
                "PTR" => new PtrRecord(name, ttl, DomainName.Parse(parts[3])),
                "TXT" => new TxtRecord(name, ttl, parts[3].Chunk(255).Select(chunk => new string(chunk))),
                _ => throw new FormatException($"{file}: unknown record type {parts[1]}"),
            };
            var key = parts[0].TrimEnd('.').ToLowerInvariant();
            if (!zone.TryGetValue(key, out var records))
            {
                zone[key] = records = [];
            }

            records.Add(record);
        }

        return zone;
    }
}
