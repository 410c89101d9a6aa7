namespace WebSocketAddIn.Engine.Connections;

/// <summary>
/// permessage-deflate as the user set it (RFC 7692), done by the framework: ASP.NET Core's
/// WebSocketAcceptContext.DangerousEnableCompression on the server, ClientWebSocketOptions'
/// DangerousDeflateOptions on the client. Off by default: compressing a secret next to text an
/// attacker chooses leaks the secret through the sizes (CRIME, BREACH), and every connection keeps
/// a deflate state of about 300 KB with context takeover.
/// </summary>
/// <param name="WindowBits">The LZ77 window our side compresses with, 9 to 15 (2^bits bytes).</param>
/// <param name="ContextTakeover">Keep the dictionary from one message to the next (better ratio, memory held between messages).</param>
public sealed record Compression(int WindowBits = 15, bool ContextTakeover = true)
{
    /// <summary>
    /// How much longer than the message a compressed frame may be: deflate can grow incompressible
    /// data by a few bytes per 16 KB block. The frame guard allows it; the message limit itself
    /// counts the inflated bytes.
    /// </summary>
    public static long FrameSlack(long maxMessage) => (maxMessage / 256) + 1024;
}
