using System;

namespace WebSocketAddIn.Engine.Server;

public enum StartFailure
{
    AlreadyRunning,
    InvalidAddress,
    PortInUse,
    AddressNotAvailable,
    PermissionDenied,
    BindFailed,
    LogUnwritable,
}

public sealed class ServerStartException(StartFailure failure, string detail, Exception? inner = null)
    : Exception($"{failure}: {detail}", inner)
{
    public StartFailure Failure { get; } = failure;

    public string Detail { get; } = detail;
}
