using System.Text.Json;
using Microsoft.Extensions.Logging;
using Gateway.Core.Pipeline;

namespace Gateway.Core.Delivery.Directory;

/// <summary>
/// Delivers into a folder, for a trial run with no mail server: each message becomes <c>NAME.eml</c> with
/// its envelope in <c>NAME.json</c>. Both are written to temporary names, fsynced and renamed (sidecar first),
/// so a reader that sees an .eml sees it whole, with its envelope beside it.
/// </summary>
public sealed class DirectoryDownstream : IDownstream
{
    private readonly string _folder;

    public DirectoryDownstream(string folder, ILogger logger)
    {
        _folder = Path.GetFullPath(folder);
        System.IO.Directory.CreateDirectory(_folder);
        logger.LogInformation("Delivering accepted mail into the directory {Folder} (no downstream host configured)", _folder);
    }

    public string Folder => _folder;

    public async Task<DownstreamOpenResult> BeginAsync(string? sender, IReadOnlyDictionary<string, string> mailParameters, CancellationToken cancellationToken, string? firstRecipient = null)
    {
        var transaction = new Transaction(this, sender);
        var first = firstRecipient is null ? null : await transaction.AddRecipientAsync(firstRecipient, cancellationToken);
        return new DownstreamOpenResult(transaction, new SmtpReply(250, "2.1.0", "Ok"), first);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    internal async Task<string> StoreAsync(string? sender, IReadOnlyList<string> recipients, System.Buffers.ReadOnlySequence<byte> message, CancellationToken cancellationToken)
    {
        var name = $"{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid():N}";
        var envelope = JsonSerializer.SerializeToUtf8Bytes(new { mail_from = sender ?? string.Empty, rcpt_to = recipients, received_at = DateTimeOffset.UtcNow });
        await DurableFile.WriteAsync(Path.Combine(_folder, name + ".json"), envelope, cancellationToken);
        await DurableFile.WriteAsync(Path.Combine(_folder, name + ".eml"), SmtpDataEncoder.Normalize(message), cancellationToken);
        return name;
    }

    private sealed class Transaction(DirectoryDownstream owner, string? sender) : IDownstreamTransaction
    {
        private readonly List<string> _recipients = [];

        public Task<SmtpReply> AddRecipientAsync(string recipient, CancellationToken cancellationToken)
        {
            _recipients.Add(recipient);
            return Task.FromResult(new SmtpReply(250, "2.1.5", "Ok"));
        }

        public async Task<SmtpReply> SendAsync(System.Buffers.ReadOnlySequence<byte> message, CancellationToken cancellationToken)
        {
            try
            {
                var name = await owner.StoreAsync(sender, _recipients, message, cancellationToken);
                return new SmtpReply(250, "2.0.0", $"Ok: stored as {name}");
            }
            catch (IOException)
            {
                // Disk full or gone: the sender keeps the message and retries.
                return DeliveryReplies.LocalError;
            }
            catch (UnauthorizedAccessException)
            {
                return DeliveryReplies.LocalError;
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
