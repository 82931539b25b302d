using System.Buffers;

namespace Gateway.Core.Delivery;

/// <summary>
/// A message as a chain of byte blocks without copying them: our rewritten header section followed by
/// the client's own bytes. A big message is then held once, not once per editing step.
/// </summary>
public static class MessageBytes
{
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
