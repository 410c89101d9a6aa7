namespace WebSocketAddIn.Engine.Diagnostics;

/// <summary>Why a connection was refused before it became a WebSocket, as administrators count it.</summary>
public enum Refusal
{
    /// <summary>MaxConnections reached (HTTP 503).</summary>
    MaxConnections,

    /// <summary>The server is stopping (HTTP 503).</summary>
    Stopping,

    /// <summary>An Origin not in AllowedOrigins (HTTP 403).</summary>
    Origin,

    /// <summary>No complete request within the handshake time (10 s), TLS included.</summary>
    HandshakeTimeout,

    /// <summary>The peer went away before sending a request (or its TLS handshake failed).</summary>
    DroppedBeforeHandshake,

    /// <summary>A malformed WebSocket upgrade, HTTP/1.0, or a version other than 13 (HTTP 400 / 426).</summary>
    BadHandshake,

    /// <summary>A plain HTTP request, not an upgrade (HTTP 426).</summary>
    NotWebSocket,
}
