using Gateway.Smtp.Admission;

namespace Gateway.IntegrationTests.Hostile;

/// <summary>The client stream guard at the STARTTLS boundary: nothing read before TLS may be read as if it came inside it.</summary>
public sealed class GuardedStreamTests
{
    /// <summary>Reads come from a script of bytes; writes go nowhere.</summary>
    private sealed class ScriptedClient(string input) : Stream
    {
        private readonly MemoryStream _input = new(Encoding.ASCII.GetBytes(input));

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(_input.Read(buffer.Span));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => _input.Read(buffer, offset, count);

        public override void Write(byte[] buffer, int offset, int count)
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>
    /// An oversized DATA leaves its end and what followed it held back for the session's next reads. A
    /// session that then starts TLS must read only what arrives inside TLS, never those plaintext bytes.
    /// </summary>
    [Fact]
    public async Task Bytes_held_back_from_an_oversized_data_are_dropped_when_tls_starts()
    {
        var guard = new GuardedStream(new ScriptedClient("0123456789ABCDEFGHIJ\r\n.\r\nRCPT TO:<injected@example.test>\r\n"), new StreamGuardOptions(2048, 10, 0, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5)), TimeProvider.System);
        await guard.WriteAsync(Encoding.ASCII.GetBytes("354 End data with <CR><LF>.<CR><LF>\r\n"));
        var buffer = new byte[64];
        var first = await guard.ReadAsync(buffer);
        var next = await guard.ReadAsync(buffer.AsMemory(0, 2)); // the session reads a little of what was held back

        guard.Replace(new ScriptedClient("EHLO client.example.test\r\n"));
        var insideTls = await guard.ReadAsync(buffer);

        Assert.True(guard.Truncated);
        Assert.True(first > 0 && next > 0);
        Assert.Equal("EHLO client.example.test\r\n", Encoding.ASCII.GetString(buffer, 0, insideTls));
    }

    /// <summary>
    /// DATA content is passed up to each LF in one step (only a LF can complete the terminator): whatever
    /// pieces the network delivers, the session gets the bytes, the end of DATA and the truncation a read of
    /// one byte at a time gives, which takes the guard's byte-by-byte path only.
    /// </summary>
    [Fact]
    public async Task Content_read_in_any_pieces_reaches_the_session_as_read_one_byte_at_a_time()
    {
        var random = new Random(37);
        for (var round = 0; round < 400; round++)
        {
            // Long runs of text with CRs, LFs and dots among them: terminators, near-terminators ("\r\n.\r",
            // "\n.\r\n", ".\r\n" at the start), and lines around the size limit.
            var content = new StringBuilder();
            while (content.Length < random.Next(1, 600))
            {
                content.Append(random.Next(6) switch
                {
                    0 => "\r\n",
                    1 => "\n",
                    2 => "\r",
                    3 => ".",
                    _ => new string('x', random.Next(1, 40)),
                });
            }

            var script = content + "\r\n.\r\nQUIT\r\n";
            var maxData = random.Next(1, 700);
            // Message memory: none to take (every byte dropped, as when the budget is spent), plenty, or unbounded.
            long? memory = random.Next(3) switch { 0 => 0, 1 => 1 << 20, _ => null };
            var oneByOne = await ReadAllAsync(script, maxData, memory, () => 1);
            var inPieces = await ReadAllAsync(script, maxData, memory, () => random.Next(1, 300));

            Assert.True(oneByOne == inPieces, $"limit {maxData}, script '{script.ReplaceLineEndings("|")}'");
        }
    }

    private static async Task<(string Read, bool Truncated, bool OutOfMemory)> ReadAllAsync(string script, long maxDataBytes, long? memory, Func<int> pieceSize)
    {
        var budget = memory is { } capacity ? new MessageMemoryBudget(capacity, capacity) : null;
        var guard = new GuardedStream(new ScriptedClient(script), new StreamGuardOptions(100_000, maxDataBytes, 0, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5), budget), TimeProvider.System);
        await guard.WriteAsync(Encoding.ASCII.GetBytes("354 End data with <CR><LF>.<CR><LF>\r\n"));
        var read = new StringBuilder();
        var buffer = new byte[300];
        while (await guard.ReadAsync(buffer.AsMemory(0, pieceSize())) is var count and > 0)
        {
            read.Append(Encoding.ASCII.GetString(buffer, 0, count));
        }

        return (read.ToString(), guard.Truncated, guard.OutOfMemoryBudget);
    }
}
