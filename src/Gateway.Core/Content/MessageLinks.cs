using Gateway.Core.Pipeline;

namespace Gateway.Core.Content;

/// <summary>
/// The hosts of a message's links (text and HTML, disguises undone), extracted once: the rules' url.domain and
/// the domain DNS lists read the same list.
/// </summary>
public static class MessageLinks
{
    private static readonly MessageSlot<IReadOnlyList<string>> Hosts = new((context, _) => MessageUrls.Hosts(context.Message));

    extension(MessageContext context)
    {
        public IReadOnlyList<string> UrlHosts() => context.Computed(Hosts);
    }
}
