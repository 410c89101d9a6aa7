using System.Net.WebSockets;
using WebSocketAddIn.Engine.Messaging;

namespace WebSocketAddIn.Engine.Connections;

/// <summary>One entry of a connection's outgoing queue: a message, or the close that ends the queue.</summary>
internal readonly record struct OutgoingFrame(MessageKind Kind, Payload Payload, WebSocketCloseStatus? CloseStatus = null, string CloseReason = "")
{
    public bool IsClose => CloseStatus is not null;

    public static OutgoingFrame Close(WebSocketCloseStatus status, string reason) => new(MessageKind.Binary, Payload.Empty, status, reason);
}
