using OneC.NativeApi.Components;
using WebSocketAddIn.Engine.Server;
using WebSocketAddIn.Engine.Tls;

namespace WebSocketAddIn.Components.Server;

/// <summary>Every text the server object shows a 1C developer, in Russian and English.</summary>
internal static class ServerMessages
{
    public static LocalizedText PortOutOfRange(long port) => new(
        $"Порт должен быть числом от 0 до 65535, передано {port}",
        $"Port must be a number from 0 to 65535, got {port}");

    public static LocalizedText ClientNotConnected(long id) => new(
        $"Клиент {id} не подключен",
        $"Client {id} is not connected");

    public static LocalizedText CloseCodeInvalid(long code) => new(
        $"Код закрытия должен быть 1000 или от 3000 до 4999, передано {code}",
        $"The close code must be 1000 or from 3000 to 4999, got {code}");

    public static LocalizedText CloseReasonTooLong { get; } = new(
        "Причина закрытия длиннее 123 байт в UTF-8",
        "The close reason is longer than 123 bytes in UTF-8");

    public static LocalizedText ClientIdsInvalid(string part) => new(
        $"Неверный список ИДКлиентов: «{part}» не число; ожидается, например, \"1,5,7\"",
        $"Invalid ClientIds: '{part}' is not a number; expected e.g. \"1,5,7\"");

    public static LocalizedText PushAddressInvalid(string text) => new(
        $"АдресОтправки: «{text}» — ожидается порт (8090: только этот компьютер) или адрес с портом (127.0.0.1:8090, 0.0.0.0:8090, [::1]:8090); пустая строка выключает",
        $"PushAddress: '{text}' — expected a port (8090: this computer only) or an address with a port (127.0.0.1:8090, 0.0.0.0:8090, [::1]:8090); \"\" turns it off");

    public static LocalizedText PushSecretTooShort(int minimum) => new(
        $"СекретОтправки должен быть не короче {minimum} символов, когда задан АдресОтправки",
        $"PushSecret must be at least {minimum} characters long when PushAddress is set");

    public static LocalizedText LogLevelInvalid(string text) => new(
        $"УровеньЖурнала: «{text}» — ожидается \"info\" (все подключения, отключения и отказы) или \"warning\" (только отказы и аварийные отключения)",
        $"LogLevel: '{text}' — expected \"info\" (every connection, disconnection and refusal) or \"warning\" (refusals and abnormal ends only)");

    public static LocalizedText TrustedProxyInvalid(string part) => new(
        $"ДоверенныеПрокси: «{part}» не IP-адрес и не сеть; ожидается, например, \"127.0.0.1, 10.0.0.0/8, ::1\"",
        $"TrustedProxies: '{part}' is neither an IP address nor a network; expected e.g. \"127.0.0.1, 10.0.0.0/8, ::1\"");

    public static LocalizedText MessageOverMemory(long maxMessage, long maxMemory) => new(
        $"МаксимальныйРазмерСообщения ({maxMessage}) больше МаксимумПамяти ({maxMemory}): такое сообщение никогда не поместится; уменьшите первое или увеличьте второе",
        $"MaxMessageSize ({maxMessage}) is larger than MaxMemory ({maxMemory}): such a message could never fit; lower the first or raise the second");

    public static LocalizedText KeyWithoutCertificate { get; } = new(
        "Указан ключ или пароль, но не указан сертификат",
        "A key or password was given without a certificate");

    public static LocalizedText StartFailed(ServerStartException failure, string interfaceText, long port) => failure.Failure switch
    {
        StartFailure.AlreadyRunning => new(
            $"Сервер уже запущен ({failure.Detail}); сначала вызовите Остановить()",
            $"The server is already running ({failure.Detail}); call Stop() first"),
        StartFailure.InvalidAddress => new(
            $"Неверный адрес интерфейса «{interfaceText}»: ожидается IP-адрес (например, 0.0.0.0, 127.0.0.1, ::), localhost или пустая строка",
            $"Invalid interface address '{interfaceText}': expected an IP address (e.g. 0.0.0.0, 127.0.0.1, ::), localhost or an empty string"),
        StartFailure.PortInUse => new(
            $"Порт {port} уже занят",
            $"Port {port} is already in use"),
        StartFailure.AddressNotAvailable => new(
            $"Адрес {interfaceText} не принадлежит этому компьютеру: {failure.Detail}",
            $"Address {interfaceText} does not belong to this computer: {failure.Detail}"),
        StartFailure.LogUnwritable => new(
            $"Не удалось открыть файл журнала (ФайлЖурнала) {failure.Detail}",
            $"Cannot open the log file (LogFile) {failure.Detail}"),
        StartFailure.PermissionDenied => new(
            $"Нет прав открыть порт {port} (порты ниже 1024 требуют прав администратора): {failure.Detail}",
            $"No permission to open port {port} (ports below 1024 need administrator rights): {failure.Detail}"),
        _ => new(
            $"Не удалось открыть порт {port} на {interfaceText}: {failure.Detail}",
            $"Cannot listen on {interfaceText} port {port}: {failure.Detail}"),
    };

    public static LocalizedText Certificate(CertificateException failure) => failure.Problem switch
    {
        CertificateProblem.FileNotFound => new(
            $"Файл сертификата или ключа не найден: {failure.Path}",
            $"Certificate or key file not found: {failure.Path}"),
        CertificateProblem.WrongPassword => new(
            $"Неверный пароль к ключу или сертификату {failure.Path}",
            $"Wrong password for the key or certificate {failure.Path}"),
        CertificateProblem.PasswordRequired => new(
            $"Ключ {failure.Path} зашифрован: укажите пароль",
            $"The key {failure.Path} is encrypted: give its password"),
        CertificateProblem.LegacyEncryptedKey => new(
            $"Ключ {failure.Path} зашифрован в устаревшем формате OpenSSL; преобразуйте его в PKCS#8: {failure.Detail}",
            $"The key {failure.Path} is encrypted in the legacy OpenSSL format; convert it to PKCS#8: {failure.Detail}"),
        CertificateProblem.NoPrivateKey => new(
            $"В файле {failure.Path} нет закрытого ключа: укажите файл ключа",
            $"No private key in {failure.Path}: give the key file"),
        CertificateProblem.KeyDoesNotMatch => new(
            $"Ключ {failure.Path} не подходит к сертификату",
            $"The key {failure.Path} does not match the certificate"),
        _ => new(
            $"Не удалось прочитать сертификат {failure.Path}: {failure.Detail}",
            $"Cannot read the certificate {failure.Path}: {failure.Detail}"),
    };
}
