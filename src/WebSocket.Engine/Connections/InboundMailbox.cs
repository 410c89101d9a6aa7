using System;
using WebSocketAddIn.Engine.Messaging;

namespace WebSocketAddIn.Engine.Connections;

/// <summary>
/// Where connections leave what they received for 1C code, for the server (all its connections)
/// and the client (its one): the queue, the per-connection accounting that lets reading resume
/// when 1C takes a message, and the hook that tells the component something arrived.
/// Closed until opened: a Receive on an object that never connected returns at once.
/// </summary>
public sealed class InboundMailbox
{
    private readonly InboundQueue<InboundMessage> _queue = new();

    public InboundMailbox() => _queue.Complete();

    /// <summary>Called on a background thread each time something is queued (for ExternalEvent notifications).</summary>
    public Action? Available { get; set; }

    public void Open() => _queue.Reopen();

    /// <summary>Nothing more will come: a waiting Receive returns at once; what is queued stays.</summary>
    public void Close() => _queue.Complete();

    /// <summary>Queues a message or event; false once closed (the caller keeps the payload).</summary>
    public bool Deliver(InboundMessage message)
    {
        if (!_queue.Add(message))
        {
            return false;
        }

        Available?.Invoke();
        return true;
    }

    public bool TryTake(int timeout, out InboundMessage message)
    {
        if (!_queue.TryTake(timeout, out message))
        {
            return false;
        }

        if (message.IsMessage)
        {
            message.Connection.OnMessageTaken(message.Payload.Length);
        }

        return true;
    }

    /// <summary>Drops everything queued, returning the payloads to their pool (the owner is being disposed).</summary>
    public void Discard()
    {
        foreach (var message in _queue.Drain())
        {
            message.Payload.Return();
        }
    }
}
