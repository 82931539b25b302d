using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Gateway.Core.Configuration;

/// <summary>Reads durations the way operators write them: <c>500ms</c>, <c>30s</c>, <c>5m</c>, <c>1h</c>.</summary>
public sealed class DurationConverter : IYamlTypeConverter
{
    public bool Accepts(Type type) => type == typeof(TimeSpan) || type == typeof(TimeSpan?);

    public object? ReadYaml(IParser parser, Type type, ObjectDeserializer rootDeserializer)
    {
        var scalar = parser.Consume<Scalar>();
        if (TryParse(scalar.Value, out var value))
        {
            return value;
        }

        throw new YamlException(scalar.Start, scalar.End, $"'{scalar.Value}' is not a duration (write e.g. 500ms, 30s, 5m, 1h, 36d)");
    }

    public void WriteYaml(IEmitter emitter, object? value, Type type, ObjectSerializer serializer) =>
        emitter.Emit(new Scalar(value is TimeSpan span ? $"{span.TotalMilliseconds}ms" : string.Empty));

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        var units = new (string Suffix, double Milliseconds)[] { ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000) };
        foreach (var (suffix, milliseconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text.AsSpan(0, text.Length - suffix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                && number >= 0)
            {
                value = TimeSpan.FromMilliseconds(number * milliseconds);
                return true;
            }
        }

        return false;
    }
}
