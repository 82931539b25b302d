using System.Text;
using Gateway.Core.Delivery;
using Gateway.Core.Pipeline;

namespace Gateway.Smtp.Admission;

/// <summary>
/// The client's plaintext byte stream as SmtpServer reads it, with the limits SmtpServer 11 does not have:
/// command lines longer than limits.max_line_length (500 5.5.2), a command line not finished within
/// limits.command_timeout, DATA slower than limits.min_data_rate (both 421 4.4.2, the slowloris defences),
/// and DATA over the size limit. Oversized DATA is not buffered: once over, content is dropped while the
/// stream is still read to its end, and the message store answers 552 5.3.4 (<see cref="Truncated"/>).
/// DATA content takes its bytes from the sessions' shared message memory as it arrives and gives them back
/// with the reply to DATA (or when the connection ends); content that finds it spent is dropped the same
/// way, and the store answers 452 4.3.1 (<see cref="OutOfMemoryBudget"/>).
/// It follows the protocol from both directions: a 354 reply written starts DATA, the client's
/// CRLF.CRLF ends it, exactly as SmtpServer delimits it.
/// </summary>
/// <param name="client">The client's key in the message memory's shares (<see cref="MessageMemoryBudget.ClientKey"/>); null: no share of its own.</param>
internal sealed class GuardedStream(Stream inner, StreamGuardOptions limits, TimeProvider time, string? client = null) : Stream
{
    private const ulong Terminator = 0x0D_0A_2E_0D_0A; // "\r\n.\r\n"
    private const ulong FiveBytes = 0xFF_FFFF_FFFF;
    private const ulong DataCommand = 0x44_41_54_41_0D; // "DATA\r", upper-cased as read
    private static readonly byte[] TerminatorBytes = "\r\n.\r\n"u8.ToArray();

    /// <summary>
    /// Message memory is taken in steps of this, not per read: the shared counter is touched every 16 KB, and
    /// a session holds at most a step more than it uses (500 sessions: 8 MB of a budget of gigabytes).
    /// </summary>
    private const long MemoryStep = 16 * 1024;

    private Stream _inner = inner;
    private bool _inData;
    private int _lineLength;
    private ulong _lineStart; // the first bytes of the current command line, upper-cased
    private long _dataBytes;
    private ulong _window;
    private long _dataStarted;
    private long _dataLastArrived;
    private long _commandClock = time.GetTimestamp();
    private byte[]? _pending;
    private int _pendingOffset;
    private SmtpReply? _refused;
    private SmtpReply? _closeAfterReply;
    private readonly Lock _memoryLock = new();
    private long _memoryTaken;
    private bool _closed;

    /// <summary>The current (or last) DATA went over the size limit and its content was dropped.</summary>
    public bool Truncated { get; private set; }

    /// <summary>The current (or last) DATA found the sessions' message memory spent and its content was dropped.</summary>
    public bool OutOfMemoryBudget { get; private set; }

    /// <summary>The message memory all sessions share, in bytes (0: unbounded).</summary>
    public long MessageMemoryCapacity => limits.Memory?.Capacity ?? 0;

    /// <summary>Content is being dropped rather than handed to the session.</summary>
    private bool Dropping => Truncated || OutOfMemoryBudget;

    /// <summary>The connection is over: whatever message memory it held goes back, and it takes no more.</summary>
    public void EndConnection()
    {
        lock (_memoryLock)
        {
            _closed = true;
            GiveBackMemory();
        }
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>The reply being written is the session's last: this follows it, and the connection closes.</summary>
    public void CloseAfterReply(SmtpReply reply) => _closeAfterReply = reply;

    /// <summary>
    /// After STARTTLS the guard reads the TLS stream's plaintext; the session starts over in command mode.
    /// Whatever was read before TLS and held back is dropped: bytes a client (or a man in the middle) sent
    /// in clear text must never be read as commands inside TLS (RFC 3207 4.2; Postfix's CVE-2011-0411).
    /// </summary>
    public void Replace(Stream stream)
    {
        _inner = stream;
        _pending = null;
        _pendingOffset = 0;
        _window = 0;
        _inData = false;
        _lineLength = 0;
        _lineStart = 0;
        _commandClock = time.GetTimestamp();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfRefused();
        while (true)
        {
            int count;
            if (_pending is not null)
            {
                count = Math.Min(buffer.Length, _pending.Length - _pendingOffset);
                _pending.AsSpan(_pendingOffset, count).CopyTo(buffer.Span);
                _pendingOffset += count;
                if (_pendingOffset == _pending.Length)
                {
                    _pending = null;
                }
            }
            else
            {
                count = await ReadWithDeadlineAsync(buffer, cancellationToken);
                if (count == 0)
                {
                    return 0;
                }
            }

            var (kept, violation) = Inspect(buffer.Span[..count]);
            if (violation is not null)
            {
                await RefuseAsync(violation);
            }

            if (kept > 0)
            {
                return kept;
            }

            // Everything read was oversized DATA content, dropped: read on (0 would mean end of stream).
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // After our refusal the session may try to answer the failed read (SmtpServer writes a bare 554):
        // the client has heard the last word already.
        ThrowIfRefused();
        if (!_inData && Volatile.Read(ref _memoryTaken) > 0)
        {
            // Out of DATA, a write is the reply to it (or the 354 of the next): the message's bytes are gone.
            lock (_memoryLock)
            {
                GiveBackMemory();
            }
        }

        if (StartsData(buffer.Span))
        {
            _inData = true;
            Truncated = false;
            OutOfMemoryBudget = false;
            _dataBytes = 0;
            _window = 0x0D_0A; // the CRLF that ended the DATA command: a lone "." first line ends an empty message
            _dataStarted = _dataLastArrived = time.GetTimestamp();
        }
        else
        {
            _commandClock = time.GetTimestamp();
        }

        await _inner.WriteAsync(SmtpServerReplies.WithoutRetryCount(buffer), cancellationToken);
        if (_closeAfterReply is { } last)
        {
            await RefuseAsync(last, throwAfter: false);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override void Flush() => _inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("the SMTP session reads asynchronously");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("the SMTP session writes asynchronously");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>A reply block (pipelined replies may share a write) with a line starting "354".</summary>
    private static bool StartsData(ReadOnlySpan<byte> written)
    {
        while (written.Length >= 3)
        {
            if (written[..3].SequenceEqual("354"u8))
            {
                return true;
            }

            var end = written.IndexOf((byte)'\n');
            if (end < 0)
            {
                return false;
            }

            written = written[(end + 1)..];
        }

        return false;
    }

    private async ValueTask<int> ReadWithDeadlineAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        // In DATA: the average rate (when min_data_rate is on), and no silence longer than command_timeout
        // — a fast start would otherwise buy a stall of hours, holding the session and its message memory.
        var (deadline, why) = _inData
            ? (Math.Min(_dataLastArrived + Ticks(limits.CommandTimeout.TotalSeconds), limits.MinDataRate > 0 ? _dataStarted + Ticks(limits.DataRateGrace.TotalSeconds + ((double)_dataBytes / limits.MinDataRate)) : long.MaxValue), SmtpReplies.DataTooSlow)
            : (_commandClock + Ticks(limits.CommandTimeout.TotalSeconds), SmtpReplies.CommandTimeout);
        var remaining = time.GetElapsedTime(time.GetTimestamp(), deadline);
        if (remaining <= TimeSpan.Zero)
        {
            await RefuseAsync(why);
        }

        // A new linked source per read, not a reused one (Network.ReusableTimeout): the token comes from
        // the pipe reader, which resets its own source between reads, and that drops links made to it.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(remaining);
        try
        {
            var count = await _inner.ReadAsync(buffer, timeout.Token);
            if (_inData)
            {
                _dataLastArrived = time.GetTimestamp();
            }

            return count;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await RefuseAsync(why);
            throw; // not reached
        }
    }

    private long Ticks(double seconds) => (long)(Math.Min(seconds, TimeSpan.MaxValue.TotalSeconds / 2) * time.TimestampFrequency);

    /// <summary>
    /// Walks the bytes just read: line lengths in command mode; size and the end of DATA in data mode.
    /// Returns how many bytes at the start of <paramref name="bytes"/> the session gets (oversized DATA
    /// content is dropped in place), and a reply if a limit was broken.
    /// </summary>
    private (int Kept, SmtpReply? Violation) Inspect(Span<byte> bytes)
    {
        var kept = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            var current = bytes[i];
            if (!_inData)
            {
                _lineLength = current == '\n' ? 0 : _lineLength + 1;
                if (_lineLength > limits.MaxLineLength)
                {
                    return (kept, SmtpReplies.LineTooLong(limits.MaxLineLength));
                }

                bytes[kept++] = current;
                if (current != '\n')
                {
                    _lineStart = _lineLength <= 5 ? (_lineStart << 8) | (byte)char.ToUpperInvariant((char)current) : 0;
                    continue;
                }

                var wasData = _lineStart == DataCommand;
                _lineStart = 0;
                if (wasData && i + 1 < bytes.Length)
                {
                    // Content pipelined behind DATA, before our 354 (RFC 2920 forbids it, some clients do it):
                    // the session gets it only with its next read, which comes after it answered DATA. So the
                    // guard reads it as content after a 354 and as commands after a refusal, as the session does.
                    HoldBack([], bytes[(i + 1)..]);
                    return (kept, null);
                }

                continue;
            }

            if (kept == i && !Dropping && SkippableContent(bytes[i..]) is var skip and >= 5 && HoldsMemoryFor(_dataBytes + skip))
            {
                // Content up to the next LF cannot complete the terminator (it ends in LF): kept in place as it
                // is, counted, and only its last five bytes enter the window (all it holds), one by one as always.
                foreach (var b in bytes.Slice(i + skip - 5, 5))
                {
                    _window = ((_window << 8) | b) & FiveBytes;
                }

                _dataBytes += skip;
                kept += skip;
                i += skip - 1;
                continue;
            }

            _window = ((_window << 8) | current) & FiveBytes;
            _dataBytes++;
            if (!Truncated && _dataBytes > limits.MaxDataBytes)
            {
                Truncated = true;
            }

            if (!Dropping && HoldsMemoryFor(_dataBytes))
            {
                bytes[kept++] = current;
            }

            if (_window == Terminator)
            {
                _inData = false;
                _lineLength = 0;
                if (Dropping)
                {
                    // The session still needs the end of DATA to answer; what follows is commands again.
                    HoldBack(TerminatorBytes, bytes[(i + 1)..]);
                    return (kept, null);
                }
            }
        }

        return (kept, null);
    }

    /// <summary>
    /// Whether this DATA holds message memory for <paramref name="bytes"/> of content, taking another step
    /// of it when not; when the budget is spent, the DATA is marked <see cref="OutOfMemoryBudget"/>.
    /// </summary>
    private bool HoldsMemoryFor(long bytes)
    {
        if (limits.Memory is not { } memory || bytes <= _memoryTaken)
        {
            return true;
        }

        // A step ahead, but never past what one message may take on the wire: the last step of a message of the
        // largest size must not ask for more than it can need, or a budget of just that size would refuse it.
        var step = Math.Max(bytes, Math.Min(_memoryTaken + MemoryStep, limits.MaxDataBytes)) - _memoryTaken;
        lock (_memoryLock)
        {
            if (!_closed && memory.TryTake(client, step))
            {
                _memoryTaken += step;
                return true;
            }
        }

        OutOfMemoryBudget = true;
        return false;
    }

    /// <summary>Under <see cref="_memoryLock"/>.</summary>
    private void GiveBackMemory()
    {
        if (_memoryTaken > 0)
        {
            limits.Memory?.GiveBack(client, _memoryTaken);
            _memoryTaken = 0;
        }
    }

    /// <summary>
    /// How many bytes of DATA content from here on can be passed in one step: those before the next LF,
    /// and none past the size limit (from there on byte by byte, to mark the message truncated exactly).
    /// </summary>
    private int SkippableContent(ReadOnlySpan<byte> content)
    {
        var lineEnd = content.IndexOf((byte)'\n');
        return (int)Math.Min(lineEnd < 0 ? content.Length : lineEnd, Math.Max(0, limits.MaxDataBytes - _dataBytes));
    }

    /// <summary>
    /// Bytes the session gets from its next read instead of now, ahead of any still held: they are
    /// inspected again then, in the mode the session's reply in between has set.
    /// </summary>
    private void HoldBack(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> rest)
    {
        var unread = _pending is null ? [] : _pending.AsSpan(_pendingOffset);
        _pending = [.. prefix, .. rest, .. unread];
        _pendingOffset = 0;
    }

    private void ThrowIfRefused()
    {
        if (_refused is not null)
        {
            throw new SessionLimitException(_refused.ToString());
        }
    }

    /// <summary>Tells the client why, then ends the session (SmtpServer sees the read fail, and every read and write after).</summary>
    private async Task RefuseAsync(SmtpReply reply, bool throwAfter = true)
    {
        _refused = reply;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _inner.WriteAsync(Encoding.ASCII.GetBytes(reply + "\r\n"), timeout.Token);
            await _inner.FlushAsync(timeout.Token);
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client is gone already.
        }

        if (throwAfter)
        {
            throw new SessionLimitException(reply.ToString());
        }
    }
}

/// <summary>The client broke a limit and was told so; the session ends.</summary>
internal sealed class SessionLimitException(string reply) : IOException(reply);
