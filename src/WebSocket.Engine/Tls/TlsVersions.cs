using System.Security.Authentication;

namespace WebSocketAddIn.Engine.Tls;

/// <summary>
/// The TLS versions the server and the client accept: 1.2 and 1.3, set explicitly. Left to the
/// system, TLS 1.0 and 1.1 are refused on this Debian only because OpenSSL's configuration says
/// so; Windows Server 2016's schannel and older OpenSSL configurations on 1C servers allow them.
/// </summary>
public static class TlsVersions
{
    public const SslProtocols Allowed = SslProtocols.Tls12 | SslProtocols.Tls13;
}
