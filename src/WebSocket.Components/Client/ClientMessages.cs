using OneC.NativeApi.Components;
using WebSocketAddIn.Engine.Client;
using WebSocketAddIn.Engine.Connections;

namespace WebSocketAddIn.Components.Client;

/// <summary>Every text the client object shows a 1C developer, in Russian and English.</summary>
internal static class ClientMessages
{
    public static LocalizedText StillConnecting(string url) => new(
        $"Подключение к {url} ещё не завершено (Статус = 2): дождитесь события \"connected\" или Статус = 1",
        $"Still connecting to {url} (Status = 2): wait for the \"connected\" event or Status = 1");

    public static LocalizedText NotConnected { get; } = new(
        "Нет подключения к серверу: вызовите Подключиться()",
        "Not connected to a server: call Connect() first");

    /// <summary>Why a Send found no connection: what ended it, with its close code.</summary>
    public static LocalizedText ConnectionEnded(CloseCause cause, string url, int code, string reason)
    {
        var said = reason.Length == 0 ? string.Empty : $" «{reason}»";
        var saidEn = reason.Length == 0 ? string.Empty : $" '{reason}'";
        return cause switch
        {
            CloseCause.PeerClosed => new(
                $"Сервер {url} закрыл соединение (код {code}{said})",
                $"The server {url} closed the connection (code {code}{saidEn})"),
            CloseCause.Closed => new(
                $"Соединение с {url} закрыто вызовом Отключиться()",
                $"The connection to {url} was closed by Disconnect()"),
            CloseCause.NotReading => new(
                $"Сервер {url} не читает сообщения: очередь отправки переполнена, соединение закрыто с кодом 1008",
                $"The server {url} is not reading: the send queue overflowed and the connection is closed with code 1008"),
            CloseCause.MessageTooBig => new(
                $"Сервер {url} прислал сообщение больше МаксимальныйРазмерСообщения: соединение закрыто с кодом 1009",
                $"The server {url} sent a message over MaxMessageSize: the connection is closed with code 1009"),
            CloseCause.ProtocolError => new(
                $"Сервер {url} нарушил протокол WebSocket: соединение закрыто с кодом {code}",
                $"The server {url} broke the WebSocket protocol: the connection is closed with code {code}"),
            CloseCause.PingTimeout => new(
                $"Сервер {url} не ответил на пинг вовремя: соединение разорвано",
                $"The server {url} did not answer a ping in time: the connection is dropped"),
            _ => new(
                $"Соединение с {url} разорвано (без кадра закрытия, код 1006)",
                $"The connection to {url} broke (no close frame, code 1006)"),
        };
    }

    public static LocalizedText HeadersNotText { get; } = new(
        "Параметр 2 (Заголовки) содержит недопустимые символы (одиночная половина суррогатной пары UTF-16)",
        "Parameter 2 (Headers) contains invalid characters (an unpaired UTF-16 surrogate)");

    public static LocalizedText HeadersNotJson(string detail) => new(
        $"Заголовки должны быть JSON-объектом строк, например {{\"Authorization\": \"Bearer ...\"}}: {detail}",
        $"Headers must be a JSON object of strings, e.g. {{\"Authorization\": \"Bearer ...\"}}: {detail}");

    public static LocalizedText Failed(ClientConnectException failure, string url) => failure.Failure switch
    {
        ConnectFailure.AlreadyConnected => new(
            $"Уже подключено к {failure.Detail}; сначала вызовите Отключиться()",
            $"Already connected to {failure.Detail}; call Disconnect() first"),
        ConnectFailure.AlreadyConnecting => new(
            $"Уже идёт подключение к {failure.Detail} (Статус = 2); дождитесь его итога или вызовите Отключиться()",
            $"Already connecting to {failure.Detail} (Status = 2); wait for its outcome or call Disconnect()"),
        ConnectFailure.Cancelled => new(
            $"Подключение к {url} отменено вызовом Отключиться()",
            $"Connecting to {url} was cancelled by Disconnect()"),
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
        ConnectFailure.CertificateExpired => new(
            $"Срок действия сертификата сервера {failure.Detail} истёк или ещё не начался ({failure.CertificateDate:yyyy-MM-dd HH:mm}) (TLS); обновите сертификат на сервере",
            $"The certificate of {failure.Detail} has expired or is not yet valid ({failure.CertificateDate:yyyy-MM-dd HH:mm}) (TLS); renew the server's certificate"),
        ConnectFailure.CertificateNameMismatch => new(
            $"Сертификат сервера выдан не на имя {failure.Detail} (TLS)",
            $"The server's certificate is not issued for {failure.Detail} (TLS)"),
        ConnectFailure.TlsFailed => new(
            $"Ошибка TLS при подключении к {url}: {failure.Detail}",
            $"TLS error connecting to {url}: {failure.Detail}"),
        ConnectFailure.Redirected => new(
            $"Сервер ответил перенаправлением: HTTP {failure.HttpStatus} → {failure.Detail}; перенаправления не выполняются (как в браузерах): укажите этот адрес в Подключиться()",
            $"The server answered with a redirect: HTTP {failure.HttpStatus} → {failure.Detail}; redirects are not followed (as browsers do not): give that address to Connect()"),
        ConnectFailure.ExtensionNotOffered => new(
            $"Сервер включил расширение, которое клиент не предлагал ({failure.Detail}): соединение отклонено (RFC 6455, 4.1)",
            $"The server enabled an extension the client did not offer ({failure.Detail}): connection refused (RFC 6455, 4.1)"),
        ConnectFailure.UpgradeRejected => new(
            $"Сервер отклонил подключение WebSocket: HTTP {failure.HttpStatus}",
            $"The server refused the WebSocket upgrade: HTTP {failure.HttpStatus}"),
        _ => new(
            $"Не удалось подключиться к {url}: {failure.Detail}",
            $"Cannot connect to {url}: {failure.Detail}"),
    };
}
