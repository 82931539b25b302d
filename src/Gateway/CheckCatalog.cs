using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;

namespace Gateway;

/// <summary>
/// The checks the pipeline runs, in one place. Empty until the first stage lands (sender authentication,
/// reputation, rules, classifier each add theirs here); the runner, scoring and headers already work.
/// </summary>
internal static class CheckCatalog
{
    public static IReadOnlyList<IMessageCheck> Create(GatewayOptions options, bool offline = false) => [];
}
