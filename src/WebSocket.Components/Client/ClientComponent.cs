using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using OneC.NativeApi.Components;
using OneC.NativeApi.Platform;
using WebSocketAddIn.Components.Common;
using WebSocketAddIn.Engine.Client;
using WebSocketAddIn.Engine.Connections;
using static OneC.NativeApi.Components.Declare;

namespace WebSocketAddIn.Components.Client;

/// <summary>AddIn.WebSocket.Client: the contract's client object over <see cref="WebSocketClient"/>.</summary>
public sealed class ClientComponent : AddInComponent
{
    public const string ClassName = "Client";

    // The external events' names: the words the server's Receive gives, in every locale.
    // "message": messages are waiting (call Receive until False); "connected": BeginConnect
    // succeeded; "disconnected": the connection ended, or BeginConnect failed (Status, CloseCode
    // and ErrorDescription say how).
    private const string MessageEvent = "message";
    private const string ConnectedEvent = "connected";
    private const string DisconnectedEvent = "disconnected";

    private static readonly ComponentTable Members = new(
        ClassName,
        [
            Function<ClientComponent>("Connect", "Подключиться", static (client, ref call) => client.Connect(ref call),
                Parameter("Url", "Адрес", ValueKind.String),
                Optional("Headers", "Заголовки", ValueKind.String, new DefaultValue.Text("")),
                Optional("Timeout", "Таймаут", ValueKind.Number, new DefaultValue.Number(30_000))),
            Function<ClientComponent>("BeginConnect", "НачатьПодключение", static (client, ref call) => client.BeginConnect(ref call),
                Parameter("Url", "Адрес", ValueKind.String),
                Optional("Headers", "Заголовки", ValueKind.String, new DefaultValue.Text("")),
                Optional("Timeout", "Таймаут", ValueKind.Number, new DefaultValue.Number(30_000))),
            Function<ClientComponent>("Send", "Отправить", static (client, ref call) => client.Send(ref call),
                Parameter("Body", "ТелоСообщения", ValueKind.StringOrBinary)),
            Function<ClientComponent>("Receive", "Принять", static (client, ref call) => client.Receive(ref call),
                Parameter("Timeout", "Таймаут", ValueKind.Number),
                Parameter("Data", "Данные", ValueKind.Any)).AlsoNamed("Получить"),
            Procedure<ClientComponent>("Disconnect", "Отключиться", static (client, ref _) => client._client.Disconnect()),
        ],
        [
            ReadOnly<ClientComponent>("Status", "Статус", ValueKind.Number, static (client, ref value) => value.SetNumber((long)client._client.State)),
            ReadOnly<ClientComponent>("Server", "Сервер", ValueKind.String, static (client, ref value) => value.SetString(client._client.Url)),
            ReadOnly<ClientComponent>("Subprotocol", "Подпротокол", ValueKind.String, static (client, ref value) => value.SetString(client._client.Subprotocol)),
            ReadOnly<ClientComponent>("CloseCode", "КодЗакрытия", ValueKind.Number, static (client, ref value) => value.SetNumber(client._client.CloseCode)),
            ReadWrite<ClientComponent>("ExternalEvents", "ВнешниеСобытия", ValueKind.Boolean,
                static (client, ref value) => value.SetBoolean(client._notifier.Enabled),
                static (client, ref value) => client._notifier.SetEnabled(value.GetBoolean())),
            ReadWrite<ClientComponent>("TrustedCertificate", "ДоверенныйСертификат", ValueKind.String,
                static (client, ref value) => value.SetString(client._trustedCertificate),
                static (client, ref value) => client._trustedCertificate = value.GetString()),
            ReadWrite<ClientComponent>("MaxMessageSize", "МаксимальныйРазмерСообщения", ValueKind.Number,
                static (client, ref value) => value.SetNumber(client._limits.MaxMessageBytes),
                static (client, ref value) => client._limits = client._limits with { MaxMessageBytes = (int)Limits.Check(value.GetInteger(), Limits.MessageSize) }),
            .. PingProperties.Of<ClientComponent>(static client => client._limits, static (client, limits) => client._limits = limits),
            .. CompressionSettings.Properties<ClientComponent>(static client => client._compression),
        ]);

    /// <summary>Connect's Timeout = 0: the default, not "forever" — a connect that never ends would freeze the user.</summary>
    private static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(30);

    private readonly WebSocketClient _client = new();
    private readonly ExternalEventNotifier _notifier;
    private string _trustedCertificate = string.Empty;
    private ConnectionLimits _limits = new();
    private readonly CompressionSettings _compression = new();

    public ClientComponent()
        : base(Members, "AddIn.WebSocket.Client")
    {
        _notifier = new ExternalEventNotifier(this, MessageEvent);
        _client.InboundAvailable = _notifier.OnQueued;
        _client.ConnectionEnded = () => RaiseEvent(DisconnectedEvent);
    }

    protected override void ReleaseResources()
    {
        _notifier.Dispose();
        _client.Dispose();
    }

    private void Connect(ref MethodCall call)
    {
        var (url, settings) = ConnectSettings(ref call);
        try
        {
            _client.Connect(settings);
        }
        catch (ClientConnectException failure)
        {
            throw new AddInException(ClientMessages.Failed(failure, url), failure);
        }

        call.ReturnBoolean(true);
    }

    /// <summary>
    /// Connect without waiting: a client form is not frozen while the server is slow or down. Status
    /// is 2 until the attempt ends; then, with ExternalEvents, the event "connected" or
    /// "disconnected" (ErrorDescription says why). Wrong arguments and an open connection raise at once.
    /// </summary>
    private void BeginConnect(ref MethodCall call)
    {
        var (url, settings) = ConnectSettings(ref call);
        Task attempt;
        try
        {
            // "connected" is raised before the receive loop starts, so it comes before the first "message".
            attempt = _client.StartConnect(settings, opened: () => RaiseEvent(ConnectedEvent));
        }
        catch (ClientConnectException failure)
        {
            throw new AddInException(ClientMessages.Failed(failure, url), failure);
        }

        _ = attempt.ContinueWith(
            (done, state) =>
            {
                var (client, address) = ((ClientComponent, string))state!;
                if (done.Exception?.InnerException is ClientConnectException failure)
                {
                    client.SetLastError(ClientMessages.Failed(failure, address));
                    client.RaiseEvent(DisconnectedEvent);
                }
            },
            (this, url),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        call.ReturnBoolean(true);
    }

    /// <summary>Connect's and BeginConnect's arguments, checked, as the engine's settings.</summary>
    private (string Url, ClientSettings Settings) ConnectSettings(ref MethodCall call)
    {
        var url = call.GetString(0);
        var headers = ParseHeaders(call.GetString(1));
        var timeout = call.GetInteger(2);
        if (timeout < 0)
        {
            throw new AddInException(CommonMessages.TimeoutNegative(timeout));
        }

        if (timeout > int.MaxValue)
        {
            throw new AddInException(CommonMessages.TimeoutTooLong(timeout, int.MaxValue));
        }

        try
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "ws" && uri.Scheme != "wss"))
            {
                throw new ClientConnectException(ConnectFailure.InvalidUrl, url);
            }

            // Before connecting: a message that arrives while Connect returns raises its event with this URL.
            // A new connection owes nothing to the last one: an event for its end that 1C code took
            // without calling Receive must not keep this connection's first message unannounced.
            _notifier.Data = url;
            _notifier.OnTaking();
            return (url, new ClientSettings
            {
                Url = uri,
                Headers = headers,
                ConnectTimeout = timeout == 0 ? DefaultConnectTimeout : TimeSpan.FromMilliseconds(timeout),
                CertificatePolicy = ServerCertificatePolicy.Parse(_trustedCertificate),
                Limits = _limits,
                Compression = _compression.ForEngine,
            });
        }
        catch (ClientConnectException failure)
        {
            throw new AddInException(ClientMessages.Failed(failure, url), failure);
        }
    }

    /// <summary>A connection's start or end, for a form that opted in; one per connection, so the platform's buffer is no concern.</summary>
    private void RaiseEvent(string name)
    {
        if (_notifier.Enabled)
        {
            Platform?.ExternalEvent(ErrorSource, name, _notifier.Data);
        }
    }

    /// <summary>
    /// As the server's Send: a connection that is not there (never made, closed, broken) is not an
    /// exception but False, with the cause in ErrorDescription; only a wrong argument raises.
    /// </summary>
    private void Send(ref MethodCall call)
    {
        var body = call.GetStringOrBinary(0);
        if (_client.State == ClientState.Connected)
        {
            var (kind, payload) = MessageBodies.FromVariant(body, _client.Budget);
            if (_client.Send(kind, payload))
            {
                call.ReturnBoolean(true);
                return;
            }
        }

        var state = _client.State;
        SetLastError(state == ClientState.Connecting ? ClientMessages.StillConnecting(_client.Url)
            : state == ClientState.NotConnected && _client.Cause == CloseCause.None ? ClientMessages.NotConnected
            : ClientMessages.ConnectionEnded(_client.Cause, _client.Url, _client.CloseCode, _client.CloseReason));
        call.ReturnBoolean(false);
    }

    private void Receive(ref MethodCall call)
    {
        var wait = MessageBodies.ToWait(call.GetInteger(0));
        _notifier.OnTaking();
        if (!_client.TryReceive(wait, out var message))
        {
            call.SetString(1, string.Empty);
            call.ReturnBoolean(false);
            return;
        }

        try
        {
            MessageBodies.WriteTo(ref call, 1, message.Kind, message.Payload);
        }
        catch (PlatformMemoryException)
        {
            // As the server's: the next Receive gives the message again.
            _client.PutBack(message);
            throw;
        }

        call.ReturnBoolean(true);
    }

    /// <summary>Headers from a JSON object text: {"Authorization": "Bearer ..."}; numbers and booleans are taken as their text.</summary>
    private static List<KeyValuePair<string, string>> ParseHeaders(string json)
    {
        var headers = new List<KeyValuePair<string, string>>();
        if (string.IsNullOrWhiteSpace(json))
        {
            return headers;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new AddInException(ClientMessages.HeadersNotJson(document.RootElement.ValueKind.ToString()));
            }

            foreach (var header in document.RootElement.EnumerateObject())
            {
                var value = header.Value.ValueKind switch
                {
                    JsonValueKind.String => header.Value.GetString() ?? string.Empty,
                    JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => header.Value.GetRawText(),
                    _ => throw new AddInException(ClientMessages.HeadersNotJson(header.Name)),
                };
                headers.Add(new(header.Name, value));
            }
        }
        catch (JsonException error)
        {
            throw new AddInException(ClientMessages.HeadersNotJson(error.Message), error);
        }
        catch (ArgumentException error)
        {
            // A string 1C passed with a lone UTF-16 surrogate: it cannot be read as JSON text.
            throw new AddInException(ClientMessages.HeadersNotText, error);
        }

        return headers;
    }
}
