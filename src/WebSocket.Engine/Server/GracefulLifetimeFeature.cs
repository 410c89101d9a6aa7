using System.Threading;
using Microsoft.AspNetCore.Http.Features;

namespace WebSocketAddIn.Engine.Server;

/// <summary>
/// Stands in for Kestrel's request lifetime feature, to keep one abort from happening: ASP.NET
/// Core's WebSocket stream aborts the HTTP connection when a WebSocket that ManagedWebSocket put
/// in the Aborted state (as it does after a protocol error, once its close frame is out) is
/// disposed. Kestrel then closes the socket while its receive is pending, which .NET turns into a
/// reset (SO_LINGER 0), and the peer's kernel throws away the close frame. Once our
/// <see cref="Transport.TransportStream"/> has read the peer's input away, the connection ends the
/// ordinary way instead; every other abort (a timeout, a dead peer, Stop) goes through.
/// </summary>
internal sealed class GracefulLifetimeFeature(IHttpRequestLifetimeFeature kestrel, TransportUpgradeFeature upgrade) : IHttpRequestLifetimeFeature
{
    public CancellationToken RequestAborted
    {
        get => kestrel.RequestAborted;
        set => kestrel.RequestAborted = value;
    }

    public void Abort()
    {
        if (upgrade.Transport is { Drained: true })
        {
            return;
        }

        kestrel.Abort();
    }
}
