namespace WebSocketAddIn.Engine.Tls;

/// <summary>Why a server certificate could not be used; the component turns each into a clear text.</summary>
public enum CertificateProblem
{
    FileNotFound,
    Unreadable,
    WrongPassword,
    PasswordRequired,
    LegacyEncryptedKey,
    NoPrivateKey,
    KeyDoesNotMatch,
}
