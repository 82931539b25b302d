using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Gateway.Core.Configuration;

/// <summary>
/// Enum values as the YAML files write them, snake_case (<c>client_ip</c>, <c>sender_domain</c>) or one
/// word in any case (<c>tempfail</c>), and an unknown value named with the accepted ones.
/// </summary>
public sealed class SnakeCaseEnumConverter : IYamlTypeConverter
{
    public bool Accepts(Type type) => (Nullable.GetUnderlyingType(type) ?? type).IsEnum;

    public object? ReadYaml(IParser parser, Type type, ObjectDeserializer rootDeserializer)
    {
        var enumType = Nullable.GetUnderlyingType(type) ?? type;
        var scalar = parser.Consume<Scalar>();
        var wanted = scalar.Value.Replace("_", string.Empty, StringComparison.Ordinal);
        foreach (var name in Enum.GetNames(enumType))
        {
            if (string.Equals(name, wanted, StringComparison.OrdinalIgnoreCase))
            {
                return Enum.Parse(enumType, name);
            }
        }

        throw new YamlException(scalar.Start, scalar.End, $"'{scalar.Value}' is not one of: {string.Join(", ", Enum.GetNames(enumType).Select(SnakeCase))}");
    }

    public void WriteYaml(IEmitter emitter, object? value, Type type, ObjectSerializer serializer) =>
        emitter.Emit(new Scalar(value is null ? string.Empty : SnakeCase(value.ToString()!)));

    public static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
