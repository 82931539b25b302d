using Gateway.Core.Pipeline;
using Gateway.Core.Scanning;
using Gateway.Core.Scoring;
using MimeKit;

namespace Gateway.Core.Tests.Pipeline;

public sealed class MessageScannerTests
{
    [Fact]
    public async Task A_deeply_nested_multipart_is_parsed_only_to_the_depth_limit()
    {
        var text = new StringBuilder("Subject: nest\r\nMIME-Version: 1.0\r\n");
        for (var level = 0; level < 200; level++)
        {
            text.Append($"Content-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n--b{level}\r\n");
        }

        text.Append("Content-Type: text/plain\r\n\r\ndeep\r\n");
        var scanner = new MessageScanner(new PipelineRunner([], TimeSpan.FromSeconds(5)), () => new ScoringPolicy(new ActionsFile(), new SymbolsFile()), maxMimeDepth: 10);

        var scan = await scanner.ScanAsync("t", Envelope.Offline, Encoding.ASCII.GetBytes(text.ToString()), CancellationToken.None);

        var depth = 0;
        for (var entity = scan.Context.Message.Body; entity is Multipart multipart && multipart.Count > 0; entity = multipart[0])
        {
            depth++;
        }

        Assert.InRange(depth, 1, 11);
    }
}
