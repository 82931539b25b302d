using Gateway.Core.Pipeline;

namespace Gateway.Core.Classification;

/// <summary>What the classifiers read and what the shipped one said, kept on the message for the stages after it.</summary>
public static class MessageClassification
{
    /// <summary>Extraction is most of the classifiers' cost: the shipped classifier and site evidence share one.</summary>
    private static readonly MessageSlot<MessageFeatures> Extracted = new((context, cancellationToken) => MessageFeatures.Extract(context.Message, context.RawMessage.Length, cancellationToken));

    private static readonly MessageSlot<ClassifierResult> Result = new();

    extension(MessageContext context)
    {
        /// <summary>Visible text, link domains and numerics, extracted once per message.</summary>
        public MessageFeatures Features(CancellationToken cancellationToken) => context.Computed(Extracted, cancellationToken);

        /// <summary>The spam classifier's answer; null when no model is loaded (or before it ran).</summary>
        public ClassifierResult? Classification
        {
            get => context.Get(Result);
            set => context.Set(Result, value);
        }
    }
}
