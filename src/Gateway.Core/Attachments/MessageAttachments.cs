using Gateway.Core.Pipeline;

namespace Gateway.Core.Attachments;

/// <summary>A message's attachments, decoded once for the rules' attachment fields and the antivirus check alike.</summary>
public static class MessageAttachments
{
    private static readonly MessageSlot<IReadOnlyList<DecodedAttachment>> Decoded = new((context, _) => DecodedAttachment.Of(context.Message), dropsWithParse: true);

    extension(MessageContext context)
    {
        public IReadOnlyList<DecodedAttachment> Attachments() => context.Computed(Decoded);
    }
}
