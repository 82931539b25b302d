using System.Buffers.Binary;
using System.Net.Sockets;

namespace Gateway.IntegrationTests.Support;

/// <summary>
/// A clamd that misbehaves on purpose: it reads each INSTREAM to its end, waits <c>delay</c>, then answers
/// <c>reply</c> (raw bytes, so garbage is possible) or, with a null reply, closes the connection.
/// </summary>
internal sealed class ScriptedClamd : LoopbackTcpServer
{
    private readonly TimeSpan _delay;
    private readonly byte[]? _reply;

    public ScriptedClamd(TimeSpan delay, string? reply)
    {
        _delay = delay;
        _reply = reply is null ? null : Encoding.ASCII.GetBytes(reply);
        Listen();
    }

    public string Address => $"127.0.0.1:{EndPoint.Port}";

    public int Scans { get; private set; }

    public const string Clean = "1: stream: OK\0";

    public static string Found(string signature) => $"1: stream: {signature} FOUND\0";

    protected override async Task ServeAsync(TcpClient client)
    {
        var stream = client.GetStream();
        while (await ReadCommandAsync(stream) is { } command)
        {
            if (command != "INSTREAM")
            {
                continue;
            }

            var length = new byte[4];
            while (true)
            {
                await stream.ReadExactlyAsync(length, Stopping);
                var size = BinaryPrimitives.ReadInt32BigEndian(length);
                if (size == 0)
                {
                    break;
                }

                await stream.ReadExactlyAsync(new byte[size], Stopping);
            }

            Scans++;
            await Task.Delay(_delay, Stopping);
            if (_reply is null)
            {
                return;
            }

            await stream.WriteAsync(_reply, Stopping);
        }
    }

    /// <summary>"zCOMMAND\0"; null when the gateway hung up.</summary>
    private async Task<string?> ReadCommandAsync(NetworkStream stream)
    {
        var text = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one, Stopping) == 0)
            {
                return null;
            }

            if (one[0] == 0)
            {
                return text.ToString().TrimStart('z');
            }

            text.Append((char)one[0]);
        }
    }
}
