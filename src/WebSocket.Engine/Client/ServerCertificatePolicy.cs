using System;
using System.IO;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace WebSocketAddIn.Engine.Client;

/// <summary>
/// How the client decides to trust a wss:// server. By default: the system's trust store and the
/// host name, as browsers do. A user may add one certificate to trust as a root (a self-signed
/// server certificate or an internal CA; the name is still checked), or pin the server's exact
/// certificate by its SHA-256 or SHA-1 thumbprint (then nothing else is checked).
/// </summary>
public sealed class ServerCertificatePolicy
{
    private readonly X509Certificate2? _trustedRoot;
    private readonly string? _pinnedThumbprint;

    private ServerCertificatePolicy(X509Certificate2? trustedRoot, string? pinnedThumbprint)
    {
        _trustedRoot = trustedRoot;
        _pinnedThumbprint = pinnedThumbprint;
    }

    /// <summary>A new policy each time: it records what its own validations saw, and clients run in parallel.</summary>
    public static ServerCertificatePolicy SystemTrust => new(null, null);

    /// <summary>What went wrong in the last validation, to name the cause of a failed handshake.</summary>
    public SslPolicyErrors LastErrors { get; private set; }

    /// <summary>The server's certificate in the last validation was out of its validity period: when it expired (or starts), else null.</summary>
    public DateTime? LastOutOfDate { get; private set; }

    /// <summary>From the user's setting: "" (system trust), a thumbprint (hex, separators allowed), or a path to a PEM/DER certificate.</summary>
    public static ServerCertificatePolicy Parse(string setting)
    {
        var text = setting.Trim();
        if (text.Length == 0)
        {
            return SystemTrust;
        }

        var hex = text.Replace(":", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal);
        if (hex.Length is 40 or 64 && IsHex(hex))
        {
            return new ServerCertificatePolicy(null, hex.ToUpperInvariant());
        }

        try
        {
            return new ServerCertificatePolicy(X509CertificateLoader.LoadCertificateFromFile(text), null);
        }
        catch (Exception error) when (error is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new ClientConnectException(ConnectFailure.InvalidTrustedCertificate, $"{text}: {error.Message}", inner: error);
        }
    }

    public bool Validate(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        LastErrors = errors;
        LastOutOfDate = null;
        if (certificate is null)
        {
            return false;
        }

        // "Not trusted" would send the user to TrustedCertificate in vain when the certificate has
        // simply expired: name that instead.
        using (var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()))
        {
            var now = DateTime.Now;
            if (now > presented.NotAfter)
            {
                LastOutOfDate = presented.NotAfter;
            }
            else if (now < presented.NotBefore)
            {
                LastOutOfDate = presented.NotBefore;
            }
        }

        if (_pinnedThumbprint is not null)
        {
            using var server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            var actual = _pinnedThumbprint.Length == 64
                ? server.GetCertHashString(HashAlgorithmName.SHA256)
                : server.GetCertHashString(HashAlgorithmName.SHA1);
            var pinned = string.Equals(actual, _pinnedThumbprint, StringComparison.OrdinalIgnoreCase);
            LastErrors = pinned ? SslPolicyErrors.None : SslPolicyErrors.RemoteCertificateChainErrors;
            return pinned;
        }

        if (_trustedRoot is null || (errors & SslPolicyErrors.RemoteCertificateChainErrors) == 0)
        {
            return errors == SslPolicyErrors.None;
        }

        // Build the chain again with the user's certificate as the only root.
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.Add(_trustedRoot);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var chainOk = custom.Build(leaf);
        var remaining = errors & ~SslPolicyErrors.RemoteCertificateChainErrors;
        if (!chainOk)
        {
            remaining |= SslPolicyErrors.RemoteCertificateChainErrors;
        }

        LastErrors = remaining;
        return remaining == SslPolicyErrors.None;
    }

    private static bool IsHex(string text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
