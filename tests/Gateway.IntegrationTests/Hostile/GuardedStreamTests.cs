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
}
