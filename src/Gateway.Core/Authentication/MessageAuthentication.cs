using Gateway.Core.Authentication.Spf;
using Gateway.Core.Pipeline;

namespace Gateway.Core.Authentication;

/// <summary>Sender authentication's results on the message, and SPF as the dialogue began it at MAIL FROM.</summary>
public static class MessageAuthentication
{
    private static readonly MessageSlot<AuthenticationOutcome> Outcome = new((_, _) => new AuthenticationOutcome());

    /// <summary>Where the MAIL phase puts the SPF evaluation it began (<see cref="Envelope.WithBegun{T}"/>).</summary>
    public static readonly MessageSlot<Task<SpfOutcome>> SpfBegunAtMail = new();

    extension(MessageContext context)
    {
        /// <summary>SPF, DKIM, DMARC and ARC results as their checks fill them in, for the stages after them.</summary>
        public AuthenticationOutcome Authentication => context.Computed(Outcome);
    }

    extension(Envelope envelope)
    {
        /// <summary>SPF as begun at MAIL FROM, so its DNS overlapped the dialogue; null when scanning files (the SPF check evaluates it then).</summary>
        public Task<SpfOutcome>? SpfAtMailFrom => envelope.Begun(SpfBegunAtMail);
    }
}
