using System;

namespace WebSocketAddIn.Engine.Client;

public enum ConnectFailure
{
    AlreadyConnected,
    InvalidUrl,
    InvalidHeaders,
    InvalidTrustedCertificate,
    Refused,
    HostNotFound,
    Timeout,
    CertificateUntrusted,
    CertificateNameMismatch,
    TlsFailed,
    UpgradeRejected,
    Failed,
}

public sealed class ClientConnectException(ConnectFailure failure, string detail, int httpStatus = 0, Exception? inner = null)
    : Exception($"{failure}: {detail}", inner)
{
    public ConnectFailure Failure { get; } = failure;

    public string Detail { get; } = detail;

    /// <summary>The HTTP status of a refused upgrade, 0 otherwise.</summary>
    public int HttpStatus { get; } = httpStatus;
}
