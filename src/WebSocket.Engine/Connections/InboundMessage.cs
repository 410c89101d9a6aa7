using WebSocketAddIn.Engine.Messaging;

namespace WebSocketAddIn.Engine.Connections;

/// <summary>A message the peer sent (or a connection event), waiting for 1C code. Its payload belongs to whoever took it from the queue.</summary>
public readonly record struct InboundMessage(WebSocketConnection Connection, InboundKind Kind, Payload Payload)
{
    public long ConnectionId => Connection.Id;

    public bool IsMessage => Kind is InboundKind.Text or InboundKind.Binary;
}
