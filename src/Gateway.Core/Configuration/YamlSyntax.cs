using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Gateway.Core.Configuration;

/// <summary>
/// Reading YAML text so that any syntax mistake becomes <c>file:line:col: not valid YAML: …</c>. YamlDotNet
/// reports most mistakes as a YamlException with a position, but some (an unclosed '{' or '[' at the end
/// of a file) escape its scanner as a bare InvalidOperationException without one; that once ended the
/// running gateway from a reload timer. The scanner's own position says where it stopped.
/// </summary>
public static class YamlSyntax
{
    /// <summary>The whole stream, for the files we walk node by node (rules).</summary>
    public static YamlStream Load(string displayName, string text)
    {
        var stream = new YamlStream();
        Read(displayName, text, parser => stream.Load(parser));
        return stream;
    }

    /// <summary>Runs <paramref name="read"/> over a parser of <paramref name="text"/>, turning any failure of the YAML reader into a positioned ConfigException.</summary>
    public static T Read<T>(string displayName, string text, Func<IParser, T> read, Func<YamlException, string>? describe = null)
    {
        var scanner = new Scanner(new StringReader(text));
        try
        {
            return read(new Parser(scanner));
        }
        catch (YamlException exception) when (TabIndentation(text) is { } tab && Innermost(exception).Message.Contains("tab", StringComparison.OrdinalIgnoreCase))
        {
            // YamlDotNet points at the mapping that contains the tab (often line 1); the operator needs the tab's line.
            throw new ConfigException($"{displayName}:{tab.Line}:{tab.Column}: not valid YAML: a tab in the indentation (YAML indents with spaces only)");
        }
        catch (YamlException exception)
        {
            throw new ConfigException($"{displayName}:{exception.Start.Line}:{exception.Start.Column}: {describe?.Invoke(exception) ?? "not valid YAML: " + Innermost(exception).Message}");
        }
        catch (Exception exception) when (exception is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            var at = scanner.CurrentPosition;
            throw new ConfigException($"{displayName}:{at.Line}:{at.Column}: not valid YAML: {Describe(exception)}");
        }
    }

    public static void Read(string displayName, string text, Action<IParser> read) =>
        Read<object?>(displayName, text, parser =>
        {
            read(parser);
            return null;
        });

    /// <summary>The first line whose indentation holds a tab, and the tab's column (1-based); null when none does.</summary>
    private static (int Line, int Column)? TabIndentation(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indentation = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            var tab = lines[i].IndexOf('\t', StringComparison.Ordinal);
            if (tab >= 0 && tab < indentation)
            {
                return (i + 1, tab + 1);
            }
        }

        return null;
    }

    private static Exception Innermost(YamlException exception) => exception.InnerException ?? exception;

    /// <summary>YamlDotNet's own text for these is "Operation is not valid due to the current state of the object."</summary>
    private static string Describe(Exception exception) =>
        $"the YAML reader stopped here ({exception.GetType().Name}); look above for a '{{', '[' or quote that is never closed";
}
