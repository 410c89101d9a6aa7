using WebSocketAddIn.Engine.Messaging;

namespace WebSocketAddIn.Engine.Connections;

/// <summary>A message the peer sent, waiting for 1C code. Its payload belongs to whoever took it from the queue.</summary>
public readonly record struct InboundMessage(WebSocketConnection Connection, MessageKind Kind, Payload Payload)
{
    public long ConnectionId => Connection.Id;
}
