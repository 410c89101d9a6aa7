using System;
using System.Collections.Generic;

namespace WebSocketAddIn.Engine.Connections;

/// <summary>Bounds that keep one connection from taking unbounded memory; safe defaults, set per server or client.</summary>
public sealed record ConnectionLimits
{
    /// <summary>A bigger message closes its connection with 1009 (Message Too Big).</summary>
    public int MaxMessageBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>Connections beyond this are refused with HTTP 503 before the upgrade.</summary>
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>Bytes queued for one client that does not read; beyond it the client is disconnected (1008).</summary>
    public long MaxOutgoingBytesPerConnection { get; init; } = 64L * 1024 * 1024;

    /// <summary>Messages of one client waiting for 1C; beyond it we stop reading from that client until 1C catches up.</summary>
    public int MaxPendingMessagesPerConnection { get; init; } = 1024;

    /// <summary>Bytes of one client waiting for 1C; likewise.</summary>
    public long MaxPendingBytesPerConnection { get; init; } = 128L * 1024 * 1024;

    /// <summary>Origins allowed to connect (browser clients); empty allows all.</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    /// <summary>How often the server pings an idle client; zero turns pings off.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A client that does not answer a ping within this time is disconnected; zero waits forever.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a closing handshake may take before the connection is dropped.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>After our close frame, at most this much of what the peer still sends is read and discarded before the socket closes.</summary>
    public long DrainLimitBytes { get; init; } = 1024 * 1024;
}
