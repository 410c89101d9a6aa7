using System;

namespace WebSocketAddIn.Engine.Tls;

public sealed class CertificateException(CertificateProblem problem, string path, string detail, Exception? inner = null)
    : Exception($"{problem}: {path}: {detail}", inner)
{
    public CertificateProblem Problem { get; } = problem;

    /// <summary>The file the problem is in.</summary>
    public string Path { get; } = path;

    /// <summary>What the TLS library said, for the end of the user's message.</summary>
    public string Detail { get; } = detail;
}
