namespace Gateway.Core.Configuration;

public enum LogFormat
{
    /// <summary>One human-readable line per event.</summary>
    Text,

    /// <summary>One JSON object per event, for log shippers.</summary>
    Json,
}

public sealed record LoggingOptions
{
    public LogFormat Format { get; init; } = LogFormat.Text;
}
