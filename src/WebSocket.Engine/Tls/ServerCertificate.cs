using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace WebSocketAddIn.Engine.Tls;

/// <summary>
/// A server certificate with its private key and the rest of its chain, loaded from the forms
/// 1C users have: a PEM certificate (chain allowed) with the key in the same file or in its own,
/// plain or encrypted (PKCS#8), or a PFX/P12 file with a password.
/// </summary>
public sealed class ServerCertificate : IDisposable
{
    private ServerCertificate(X509Certificate2 leaf, X509Certificate2Collection chain)
    {
        Leaf = leaf;
        Chain = chain;
    }

    public X509Certificate2 Leaf { get; }

    /// <summary>Intermediates sent after the leaf during the handshake.</summary>
    public X509Certificate2Collection Chain { get; }

    public static ServerCertificate Load(string certificatePath, string keyPath, string password)
    {
        var certificateBytes = ReadFile(certificatePath);
        return LooksLikePem(certificateBytes)
            ? LoadPem(certificatePath, keyPath, password)
            : LoadPkcs12(certificatePath, certificateBytes, password);
    }

    public void Dispose()
    {
        Leaf.Dispose();
        foreach (var certificate in Chain)
        {
            certificate.Dispose();
        }
    }

    private static ServerCertificate LoadPem(string certificatePath, string keyPath, string password)
    {
        var keyFile = string.IsNullOrEmpty(keyPath) ? certificatePath : keyPath;
        var keyText = System.Text.Encoding.ASCII.GetString(ReadFile(keyFile));
        if (!keyText.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new CertificateException(CertificateProblem.NoPrivateKey, keyFile, "no PEM private key in the file");
        }

        if (keyText.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
        {
            throw new CertificateException(CertificateProblem.LegacyEncryptedKey, keyFile, "openssl pkcs8 -topk8 -in OLD.key -out NEW.key");
        }

        var encrypted = keyText.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal);
        if (encrypted && string.IsNullOrEmpty(password))
        {
            throw new CertificateException(CertificateProblem.PasswordRequired, keyFile, "the private key is encrypted");
        }

        X509Certificate2 leaf;
        try
        {
            leaf = encrypted
                ? X509Certificate2.CreateFromEncryptedPemFile(certificatePath, password, keyPath.Length == 0 ? null : keyPath)
                : X509Certificate2.CreateFromPemFile(certificatePath, keyPath.Length == 0 ? null : keyPath);
        }
        catch (CryptographicException error) when (encrypted && !IsKeyMismatch(error))
        {
            throw new CertificateException(CertificateProblem.WrongPassword, keyFile, error.Message, error);
        }
        catch (CryptographicException error) when (IsKeyMismatch(error))
        {
            throw new CertificateException(CertificateProblem.KeyDoesNotMatch, keyFile, error.Message, error);
        }
        catch (Exception error) when (error is CryptographicException or ArgumentException)
        {
            throw new CertificateException(CertificateProblem.Unreadable, certificatePath, error.Message, error);
        }

        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPemFile(certificatePath);
        }
        catch (CryptographicException error)
        {
            leaf.Dispose();
            throw new CertificateException(CertificateProblem.Unreadable, certificatePath, error.Message, error);
        }

        // The first certificate of the file is the leaf (it now carries the key); the rest is its chain.
        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in chain.Skip(1))
        {
            intermediates.Add(certificate);
        }

        chain[0].Dispose();
        return new ServerCertificate(WithPersistableKey(leaf), intermediates);
    }

    private static ServerCertificate LoadPkcs12(string path, byte[] bytes, string password)
    {
        X509Certificate2Collection all;
        try
        {
            // Windows' TLS stack (SChannel) cannot serve with a key that only lives in memory (as
            // for PEM keys, see WithPersistableKey); elsewhere nothing needs to touch the disk.
            var flags = OperatingSystem.IsWindows() ? X509KeyStorageFlags.DefaultKeySet : X509KeyStorageFlags.EphemeralKeySet;
            all = X509CertificateLoader.LoadPkcs12Collection(bytes, password, flags);
        }
        catch (CryptographicException error) when (error.Message.Contains("password", StringComparison.OrdinalIgnoreCase))
        {
            throw new CertificateException(CertificateProblem.WrongPassword, path, error.Message, error);
        }
        catch (CryptographicException error)
        {
            throw new CertificateException(CertificateProblem.Unreadable, path, error.Message, error);
        }

        var leaf = all.FirstOrDefault(c => c.HasPrivateKey);
        if (leaf is null)
        {
            foreach (var certificate in all)
            {
                certificate.Dispose();
            }

            throw new CertificateException(CertificateProblem.NoPrivateKey, path, "no certificate with a private key in the file");
        }

        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in all)
        {
            if (!ReferenceEquals(certificate, leaf))
            {
                intermediates.Add(certificate);
            }
        }

        return new ServerCertificate(leaf, intermediates);
    }

    /// <summary>
    /// Windows' TLS stack (SChannel) cannot use a key that only lives in memory, as PEM keys do;
    /// round-tripping through PKCS#12 gives it one it accepts. Elsewhere the certificate is used as is.
    /// </summary>
    private static X509Certificate2 WithPersistableKey(X509Certificate2 certificate)
    {
        if (!OperatingSystem.IsWindows())
        {
            return certificate;
        }

        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        }
    }

    private static bool IsKeyMismatch(CryptographicException error) =>
        error.Message.Contains("does not match", StringComparison.OrdinalIgnoreCase)
        || error.Message.Contains("public key", StringComparison.OrdinalIgnoreCase);

    private static bool LooksLikePem(byte[] bytes) =>
        System.Text.Encoding.ASCII.GetString(bytes, 0, Math.Min(bytes.Length, 64 * 1024)).Contains("-----BEGIN", StringComparison.Ordinal);

    private static byte[] ReadFile(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception error) when (error is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CertificateException(CertificateProblem.FileNotFound, path, error.Message, error);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CertificateException(CertificateProblem.Unreadable, path, error.Message, error);
        }
    }
}
