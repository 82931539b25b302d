namespace Gateway.Core.Configuration;

public enum GatewayMode
{
    /// <summary>Verdicts are carried out.</summary>
    Enforce,

    /// <summary>Nothing is rejected for content: mail is forwarded with what would have happened.</summary>
    Shadow,
}
