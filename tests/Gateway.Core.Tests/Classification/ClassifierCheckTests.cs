using Gateway.Core.Classification;
using Gateway.Core.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace Gateway.Core.Tests.Classification;

public sealed class ClassifierCheckTests : IDisposable
{
    private readonly ModelSource _models = new(Path.Combine(RepositoryRoot.Path, "models", "spam.zip"), NullLogger.Instance);

    public void Dispose() => _models.Dispose();

    private async Task<(CheckStatus Status, MessageContext Context)> RunAsync(string raw)
    {
        var bytes = Encoding.UTF8.GetBytes(raw.ReplaceLineEndings("\r\n"));
        var context = new MessageContext { SessionId = "t", Envelope = Envelope.Offline, RawMessage = bytes, Message = await MimeMessage.LoadAsync(new MemoryStream(bytes)) };
        return (await new ClassifierCheck(_models).RunAsync(context, CancellationToken.None), context);
    }

    [Theory]
    [InlineData("Subject: photos\n\n\n")]
    [InlineData("Subject: x\n\nbody\n")]
    [InlineData("Subject: ok\n\nok, thanks\n")]
    public async Task Too_little_text_is_not_judged(string raw)
    {
        var (status, context) = await RunAsync(raw);

        Assert.Equal(CheckStatus.Skipped, status);
        Assert.Empty(context.Symbols);
        Assert.Null(context.Classification);
    }

    [Fact]
    public async Task Five_distinct_words_are_enough_to_be_judged()
    {
        var (status, context) = await RunAsync("Subject: Re: lunch\n\nThanks, see you then!\n");

        Assert.Equal(CheckStatus.Completed, status);
        Assert.NotNull(context.Classification);
    }
}
