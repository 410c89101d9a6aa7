using OneC.NativeApi.Components;
using WebSocketAddIn.Engine.Client;

namespace WebSocketAddIn.Components.Client;

/// <summary>Every text the client object shows a 1C developer, in Russian and English.</summary>
internal static class ClientMessages
{
    public static LocalizedText NotConnected { get; } = new(
        "Нет подключения к серверу: вызовите Подключиться()",
        "Not connected to a server: call Connect() first");

    public static LocalizedText ConnectionLost(string url) => new(
        $"Соединение с {url} разорвано",
        $"The connection to {url} is broken");

    public static LocalizedText HeadersNotJson(string detail) => new(
        $"Заголовки должны быть JSON-объектом строк, например {{\"Authorization\": \"Bearer ...\"}}: {detail}",
        $"Headers must be a JSON object of strings, e.g. {{\"Authorization\": \"Bearer ...\"}}: {detail}");

    public static LocalizedText Failed(ClientConnectException failure, string url) => failure.Failure switch
    {
        ConnectFailure.AlreadyConnected => new(
            $"Уже подключено к {failure.Detail}; сначала вызовите Отключиться()",
            $"Already connected to {failure.Detail}; call Disconnect() first"),
        ConnectFailure.InvalidUrl => new(
            $"Неверный адрес «{url}»: ожидается ws://хост[:порт]/путь или wss://хост[:порт]/путь",
            $"Invalid URL '{url}': expected ws://host[:port]/path or wss://host[:port]/path"),
        ConnectFailure.InvalidHeaders => new(
            $"Недопустимый заголовок {failure.Detail}",
            $"Invalid header {failure.Detail}"),
        ConnectFailure.InvalidTrustedCertificate => new(
            $"Не удалось прочитать доверенный сертификат {failure.Detail}",
            $"Cannot read the trusted certificate {failure.Detail}"),
        ConnectFailure.Refused => new(
            $"Сервер {failure.Detail} отказал в соединении (порт закрыт или сервер не запущен)",
            $"Connection refused by {failure.Detail} (the port is closed or the server is not running)"),
        ConnectFailure.HostNotFound => new(
            $"Не удалось найти хост {failure.Detail} (ошибка DNS)",
            $"Host {failure.Detail} not found (DNS error)"),
        ConnectFailure.Timeout => new(
            $"Превышено время ожидания подключения к {url} ({failure.Detail} мс)",
            $"Timed out connecting to {url} ({failure.Detail} ms)"),
        ConnectFailure.CertificateUntrusted => new(
            $"Сертификат сервера {failure.Detail} не является доверенным (TLS); для самоподписанного сертификата задайте свойство ДоверенныйСертификат",
            $"The certificate of {failure.Detail} is not trusted (TLS); for a self-signed certificate set the TrustedCertificate property"),
        ConnectFailure.CertificateNameMismatch => new(
            $"Сертификат сервера выдан не на имя {failure.Detail} (TLS)",
            $"The server's certificate is not issued for {failure.Detail} (TLS)"),
        ConnectFailure.TlsFailed => new(
            $"Ошибка TLS при подключении к {url}: {failure.Detail}",
            $"TLS error connecting to {url}: {failure.Detail}"),
        ConnectFailure.UpgradeRejected => new(
            $"Сервер отклонил подключение WebSocket: HTTP {failure.HttpStatus}",
            $"The server refused the WebSocket upgrade: HTTP {failure.HttpStatus}"),
        _ => new(
            $"Не удалось подключиться к {url}: {failure.Detail}",
            $"Cannot connect to {url}: {failure.Detail}"),
    };
}
