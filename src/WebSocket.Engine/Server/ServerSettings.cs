using System;
using WebSocketAddIn.Engine.Connections;
using WebSocketAddIn.Engine.Tls;

namespace WebSocketAddIn.Engine.Server;

/// <summary>What a server is started with. Limits have safe defaults; the component exposes them as properties.</summary>
public sealed class ServerSettings
{
    /// <summary>"" for every interface, "localhost", or an IPv4/IPv6 address.</summary>
    public string Interface { get; init; } = string.Empty;

    public int Port { get; init; }

    /// <summary>With a certificate the server speaks wss://. Owned by the server once started.</summary>
    public ServerCertificate? Certificate { get; init; }

    public ConnectionLimits Limits { get; init; } = new();
}
