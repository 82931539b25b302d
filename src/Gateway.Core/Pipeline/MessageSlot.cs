namespace Gateway.Core.Pipeline;

/// <summary>
/// A place for one stage's value on the <see cref="MessageContext"/>: computed once by whichever check asks
/// first (<see cref="MessageContext.Computed{T}"/>), or set by the stage that produces it
/// (<see cref="MessageContext.Set{T}"/>). The stage owns the slot (a static field), so the context names no
/// stage's types: stages depend on Pipeline, never the reverse.
/// </summary>
/// <param name="compute">How to compute the value from the message; null for a slot a check sets.</param>
/// <param name="dropsWithParse">Let go of it with the parse (<see cref="MessageContext.ReleaseParsedMessage"/>): it holds decoded content.</param>
public sealed class MessageSlot<T>(Func<MessageContext, CancellationToken, T>? compute = null, bool dropsWithParse = false)
    where T : class
{
    internal Func<MessageContext, CancellationToken, T>? Compute => compute;

    internal bool DropsWithParse => dropsWithParse;
}
