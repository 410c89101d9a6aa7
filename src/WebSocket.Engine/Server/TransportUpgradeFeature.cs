using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http.Features;
using WebSocketAddIn.Engine.Transport;

namespace WebSocketAddIn.Engine.Server;

/// <summary>
/// Stands in for Kestrel's upgrade feature, so that the stream ASP.NET Core's WebSocket middleware
/// builds its WebSocket on is our <see cref="TransportStream"/> over Kestrel's. Installed by a
/// middleware placed before UseWebSockets, which reads the feature when a request comes in.
/// </summary>
internal sealed class TransportUpgradeFeature(IHttpUpgradeFeature kestrel, CancellationToken connectionLost) : IHttpUpgradeFeature
{
    public bool IsUpgradableRequest => kestrel.IsUpgradableRequest;

    /// <summary>The stream of the upgraded connection, once upgraded.</summary>
    public TransportStream? Transport { get; private set; }

    public async Task<Stream> UpgradeAsync()
    {
        var upgraded = await kestrel.UpgradeAsync().ConfigureAwait(false);
        Transport = new TransportStream(upgraded, connectionLost);
        return Transport;
    }
}
