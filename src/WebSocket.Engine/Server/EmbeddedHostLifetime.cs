using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;

namespace WebSocketAddIn.Engine.Server;

/// <summary>
/// The host's default lifetime listens for Ctrl+C and SIGTERM. Inside a 1C process those signals
/// belong to 1C: this lifetime listens to nothing, and the server stops only when told to.
/// </summary>
internal sealed class EmbeddedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
