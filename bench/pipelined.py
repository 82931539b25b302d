#!/usr/bin/env python3
"""Time from a pipelined MAIL/RCPT/DATA group (RFC 2920, as Postfix, Exim and Exchange send it) to its
third reply, over one connection, N messages in a row. Prints p50/p90/max in ms.
Usage: python3 bench/pipelined.py PORT [N]   (a gateway or smtp-sink on 127.0.0.1:PORT, loopback only)"""
import socket, statistics, sys, time

port, count = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 200
conn = socket.create_connection(("127.0.0.1", port))
conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
pending = b""

def replies(n):
    """Reads until n final reply lines (code and a space) have arrived."""
    global pending
    lines = []
    while len(lines) < n:
        while b"\r\n" not in pending:
            chunk = conn.recv(65536)
            if not chunk:
                sys.exit("connection closed")
            pending += chunk
        line, pending = pending.split(b"\r\n", 1)
        if line[3:4] != b"-":
            lines.append(line)
    return lines

replies(1)
conn.sendall(b"EHLO client.bench.test\r\n")
replies(1)
times = []
for i in range(count):
    started = time.perf_counter()
    conn.sendall(b"MAIL FROM:<sender@remote.test>\r\nRCPT TO:<user@example.test>\r\nDATA\r\n")
    group = replies(3)
    times.append((time.perf_counter() - started) * 1000)
    if not group[2].startswith(b"354"):
        sys.exit(f"unexpected replies: {group}")
    conn.sendall(b"From: sender@remote.test\r\nSubject: pipelined %d\r\n\r\nhello\r\n.\r\n" % i)
    replies(1)
conn.sendall(b"QUIT\r\n")
times.sort()
print(f"{count} pipelined groups: p50 {statistics.median(times):.2f} ms, p90 {times[int(count * 0.9)]:.2f} ms, max {times[-1]:.2f} ms")
