namespace Gateway.Core.Pipeline;

/// <summary>
/// A check that waits for others (DMARC after SPF, DKIM and ARC) but already knows which DNS names it
/// will ask. The runner lets it start those lookups when the message's checks start, so the wait for
/// them overlaps the checks it depends on instead of following them; the answers land in the resolver's
/// cache, or are still in flight and are shared, when the check asks for them itself.
/// </summary>
public interface IStartsLookupsEarly
{
    /// <summary>Starts the lookups and returns at once; never throws (a failed lookup is asked again by the check).</summary>
    void StartLookups(MessageContext message);
}
