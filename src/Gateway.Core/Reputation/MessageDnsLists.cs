using Gateway.Core.Pipeline;

namespace Gateway.Core.Reputation;

/// <summary>The DNS lists a message is checked against: the policy snapshot's, put on the context once by whoever scans it.</summary>
public static class MessageDnsLists
{
    private static readonly MessageSlot<DnsListsFile> Slot = new();

    extension(MessageContext context)
    {
        /// <summary>The lists of this message's policy snapshot; null when nobody lent one.</summary>
        public DnsListsFile? DnsLists => context.Get(Slot);

        public void UseDnsLists(DnsListsFile lists) => context.Set(Slot, lists);
    }
}
