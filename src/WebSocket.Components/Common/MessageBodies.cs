using System;
using System.Text;
using OneC.NativeApi.Components;
using OneC.NativeApi.Interop;
using WebSocketAddIn.Engine.Connections;
using WebSocketAddIn.Engine.Messaging;

namespace WebSocketAddIn.Components.Common;

/// <summary>Message bodies between 1C values and the engine's pooled payloads, shared by the server and the client.</summary>
internal static class MessageBodies
{
    /// <summary>
    /// Строка becomes a UTF-8 text frame, ДвоичныеДанные a binary one; copied out of 1C's memory into
    /// a buffer counted in <paramref name="budget"/> until it has been sent.
    /// </summary>
    public static (MessageKind Kind, Payload Payload) FromVariant(Variant body, MemoryBudget budget)
    {
        if (body.Type == VariantType.Blob)
        {
            return (MessageKind.Binary, Payload.CopyOf(body.AsBytes(), budget));
        }

        var chars = body.AsChars();
        var length = Encoding.UTF8.GetByteCount(chars);
        var array = MessageBuffers.Rent(Math.Max(length, 1));
        var written = Encoding.UTF8.GetBytes(chars, array);
        budget.Charge(array.Length);
        return (MessageKind.Text, Payload.FromRented(array, written, budget));
    }

    /// <summary>
    /// Writes a received message into a by-reference parameter: Строка for text, ДвоичныеДанные for
    /// binary, and returns the payload to its pool. If the platform refuses the memory, the payload
    /// stays the caller's (to put the message back) and the exception goes on.
    /// </summary>
    public static void WriteTo(ref MethodCall call, int index, InboundKind kind, Payload payload)
    {
        if (kind == InboundKind.Binary)
        {
            call.SetBinary(index, payload.Span);
        }
        else
        {
            call.SetStringFromUtf8(index, payload.Span);
        }

        payload.Return();
    }

    /// <summary>1C's Timeout: milliseconds, 0 waits without limit; negative is an error.</summary>
    public static int ToWait(long timeout) => timeout switch
    {
        < 0 => throw new AddInException(CommonMessages.TimeoutNegative(timeout)),
        0 => System.Threading.Timeout.Infinite,
        > int.MaxValue => throw new AddInException(CommonMessages.TimeoutTooLong(timeout, int.MaxValue)),
        _ => (int)timeout,
    };
}
