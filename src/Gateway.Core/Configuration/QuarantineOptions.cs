namespace Gateway.Core.Configuration;

/// <summary>Where held messages go (gateway.yaml <c>quarantine:</c>); used only when a rule or threshold says quarantine.</summary>
public sealed record QuarantineOptions
{
    /// <summary>One NAME.eml plus NAME.json (envelope, verdict, symbols) per message; relative to the config file.</summary>
    public string Directory { get; init; } = "data/quarantine";

    /// <summary>Held messages older than this are deleted (hourly sweep, and <c>gateway quarantine expire</c>).</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Sender of the per-recipient digest (<c>gateway quarantine digest</c>); default postmaster@hostname.</summary>
    public string? DigestFrom { get; init; }

    public string FullPath(string baseFolder) => Path.GetFullPath(Directory, baseFolder);

    internal void Validate(ConfigErrors errors)
    {
        errors.Require(!string.IsNullOrWhiteSpace(Directory), "quarantine.directory", "must name a folder");
        errors.Require(Retention > TimeSpan.Zero, "quarantine.retention", "must be more than 0");
    }
}
