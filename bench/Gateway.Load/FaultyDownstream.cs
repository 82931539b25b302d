using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Load;

/// <summary>What the downstream does with one message (or, for Refuse, one connection).</summary>
internal enum Fault
{
    None,
    TempFail,   // 451 to the end of DATA
    PermFail,   // 554 to the end of DATA
    Reset,      // connection reset in the middle of DATA
    Hang,       // no answer to the end of DATA, then the connection drops
    Refuse,     // connection closed at once, no greeting
}

/// <summary>
/// A downstream mail server on loopback that injects faults at a given rate and records every message
/// it acknowledged with 250, by the soak id in its header. A message counts as delivered exactly when it
/// was acknowledged: a hung or reset transaction delivers nothing, as with a real server that crashed.
/// </summary>
internal sealed class FaultyDownstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly double _faultRate;
    private readonly TimeSpan _hang;
    private readonly TimeSpan _acceptDelay;
    private readonly Task _loop;
    private readonly ConcurrentDictionary<Fault, int> _faults = new();

    /// <param name="acceptDelay">How long each acknowledged message waits before its 250 (to hold sessions open).</param>
    public FaultyDownstream(double faultRate, TimeSpan hang, TimeSpan acceptDelay = default)
    {
        _faultRate = faultRate;
        _hang = hang;
        _acceptDelay = acceptDelay;
        _listener.Start(1024);
        EndPoint = (IPEndPoint)_listener.LocalEndpoint;
        _loop = Task.Run(AcceptAsync);
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Soak id → times acknowledged with 250.</summary>
    public ConcurrentDictionary<int, int> Delivered { get; } = new();

    public IReadOnlyDictionary<Fault, int> Faults => _faults;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
    }

    private Fault Draw(bool connection)
    {
        // Faults per message; a connection is refused at a fifth of that rate (pooling makes connections rare).
        var roll = Random.Shared.NextDouble();
        if (connection)
        {
            return roll < _faultRate / 5 ? Fault.Refuse : Fault.None;
        }

        if (roll >= _faultRate)
        {
            return Fault.None;
        }

        return (Fault)(1 + (int)(roll / _faultRate * 4)); // TempFail, PermFail, Reset, Hang equally
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => SessionAsync(client));
        }
    }

    private async Task SessionAsync(TcpClient client)
    {
        using (client)
        {
            client.LingerState = new LingerOption(true, 0);
            try
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.Latin1);
                if (Draw(connection: true) == Fault.Refuse)
                {
                    _faults.AddOrUpdate(Fault.Refuse, 1, (_, n) => n + 1);
                    return;
                }

                await WriteAsync(stream, "220 downstream.soak.test ESMTP");
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    var verb = (line.Length >= 4 ? line[..4] : line).ToUpperInvariant();
                    switch (verb)
                    {
                        case "EHLO":
                            await WriteAsync(stream, "250-downstream.soak.test\r\n250-PIPELINING\r\n250 8BITMIME");
                            break;
                        case "QUIT":
                            await WriteAsync(stream, "221 bye");
                            return;
                        case "DATA":
                            if (!await DataAsync(stream, reader))
                            {
                                return;
                            }

                            break;
                        default:
                            await WriteAsync(stream, "250 ok");
                            break;
                    }
                }
            }
            catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The gateway went away; nothing was acknowledged that is not recorded.
            }
        }
    }

    /// <summary>One DATA transaction; false when the connection is to end (a fault that kills it).</summary>
    private async Task<bool> DataAsync(NetworkStream stream, StreamReader reader)
    {
        var fault = Draw(connection: false);
        await WriteAsync(stream, "354 go ahead");
        int? id = null;
        var lines = 0;
        while (await reader.ReadLineAsync(_stop.Token) is { } line)
        {
            if (line == ".")
            {
                break;
            }

            if (id is null && line.StartsWith("X-Soak-Id: ", StringComparison.Ordinal))
            {
                id = int.Parse(line[11..], System.Globalization.CultureInfo.InvariantCulture);
            }

            if (++lines == 3 && fault == Fault.Reset)
            {
                _faults.AddOrUpdate(fault, 1, (_, n) => n + 1);
                return false;
            }
        }

        if (fault != Fault.None)
        {
            _faults.AddOrUpdate(fault, 1, (_, n) => n + 1);
        }

        switch (fault)
        {
            case Fault.TempFail:
                await WriteAsync(stream, "451 4.3.0 injected temporary failure");
                return true;
            case Fault.PermFail:
                await WriteAsync(stream, "554 5.6.0 injected permanent failure");
                return true;
            case Fault.Hang:
                await Task.Delay(_hang, _stop.Token);
                return false;
        }

        if (_acceptDelay > TimeSpan.Zero)
        {
            await Task.Delay(_acceptDelay, _stop.Token);
        }

        if (id is { } soakId)
        {
            Delivered.AddOrUpdate(soakId, 1, (_, n) => n + 1);
        }

        await WriteAsync(stream, "250 2.0.0 queued");
        return true;
    }

    private static Task WriteAsync(Stream stream, string reply) => stream.WriteAsync(Encoding.ASCII.GetBytes(reply + "\r\n")).AsTask();
}
