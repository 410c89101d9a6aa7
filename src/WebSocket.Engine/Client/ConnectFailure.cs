using System;

namespace WebSocketAddIn.Engine.Client;

public enum ConnectFailure
{
    AlreadyConnected,
    /// <summary>BeginConnect is under way.</summary>
    AlreadyConnecting,
    InvalidUrl,
    InvalidHeaders,
    InvalidTrustedCertificate,
    Refused,
    HostNotFound,
    Timeout,
    CertificateUntrusted,
    CertificateExpired,
    CertificateNameMismatch,
    TlsFailed,
    UpgradeRejected,
    Redirected,
    ExtensionNotOffered,
    /// <summary>Disconnect was called while the connection was being made.</summary>
    Cancelled,
    Failed,
}

public sealed class ClientConnectException(ConnectFailure failure, string detail, int httpStatus = 0, Exception? inner = null)
    : Exception($"{failure}: {detail}", inner)
{
    public ConnectFailure Failure { get; } = failure;

    public string Detail { get; } = detail;

    /// <summary>The HTTP status of a refused upgrade, 0 otherwise.</summary>
    public int HttpStatus { get; } = httpStatus;

    /// <summary>For an expired (or not yet valid) certificate: when it expired (or starts).</summary>
    public DateTime? CertificateDate { get; init; }
}
