namespace WebSocketAddIn.Engine.Connections;

/// <summary>What 1C code takes from the inbound queue: a message, or (when asked for) a connection event.</summary>
public enum InboundKind
{
    Text,
    Binary,

    /// <summary>A client connected; its request is in the connection's <see cref="WebSocketConnection.Request"/>.</summary>
    Connected,

    /// <summary>A client's connection is over; the payload holds its close code and reason.</summary>
    Disconnected,
}
