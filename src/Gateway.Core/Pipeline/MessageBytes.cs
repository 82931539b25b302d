using System.Buffers;

namespace Gateway.Core.Pipeline;

/// <summary>
/// A message as a chain of byte blocks without copying them: our rewritten header section followed by
/// the client's own bytes. A big message is then held once, not once per editing step.
/// </summary>
public static class MessageBytes
{
    /// <summary>A read-only stream over the caller's bytes, not a copy (a big message is already held twice).</summary>
    public static MemoryStream ReadOnlyStream(ReadOnlyMemory<byte> bytes) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(bytes, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(bytes.ToArray(), writable: false);

    public static ReadOnlySequence<byte> Of(params ReadOnlyMemory<byte>[] blocks)
    {
        Block? first = null;
        Block? last = null;
        foreach (var block in blocks.Where(block => !block.IsEmpty))
        {
            var next = new Block(block, last is null ? 0 : last.RunningIndex + last.Memory.Length);
            if (last is null)
            {
                first = next;
            }
            else
            {
                last.Link(next);
            }

            last = next;
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    /// <summary>Whether every CR is followed by LF and every LF preceded by CR (no bare line ends): what
    /// <see cref="Headers.LineEndings"/> makes of every message, and what the DKIM fast path takes.</summary>
    public static bool IsCrlfOnly(ReadOnlySpan<byte> message)
    {
        var position = 0;
        while (true)
        {
            var next = message[position..].IndexOfAny((byte)'\r', (byte)'\n');
            if (next < 0)
            {
                return true;
            }

            position += next;
            if (message[position] == '\n' || position + 1 >= message.Length || message[position + 1] != '\n')
            {
                return false;
            }

            position += 2;
        }
    }

    private sealed class Block : ReadOnlySequenceSegment<byte>
    {
        public Block(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void Link(Block next) => Next = next;
    }
}
