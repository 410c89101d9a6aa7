using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.WebSockets;
using OneC.NativeApi.Components;
using OneC.NativeApi.Platform;
using WebSocketAddIn.Components.Common;
using WebSocketAddIn.Engine.Connections;
using WebSocketAddIn.Engine.Server;
using WebSocketAddIn.Engine.Tls;
using static OneC.NativeApi.Components.Declare;

namespace WebSocketAddIn.Components.Server;

/// <summary>AddIn.WebSocket.Server: the contract's server object over <see cref="WebSocketServer"/>.</summary>
public sealed class ServerComponent : AddInComponent
{
    public const string ClassName = "Server";

    /// <summary>Values of Receive's optional fourth parameter: fixed words, the same in every locale.</summary>
    private const string MessageEvent = "message";
    private const string ConnectedEvent = "connected";
    private const string DisconnectedEvent = "disconnected";

    /// <summary>LogLevel's values: every connection event and refusal, or refusals and abnormal ends only.</summary>
    private const string LogInfo = "info";
    private const string LogWarning = "warning";

    private static readonly ComponentTable Members = new(
        ClassName,
        [
            Function<ServerComponent>("Run", "Запустить", static (server, ref call) => server.Run(ref call),
                Parameter("Interface", "Интерфейс", ValueKind.String),
                Parameter("Port", "Порт", ValueKind.Number),
                Optional("Certificate", "Сертификат", ValueKind.String, new DefaultValue.Text("")),
                Optional("Key", "Ключ", ValueKind.String, new DefaultValue.Text("")),
                Optional("Password", "Пароль", ValueKind.String, new DefaultValue.Text(""))),
            Procedure<ServerComponent>("Stop", "Остановить", static (server, ref _) => server._server.Stop()),
            Function<ServerComponent>("Send", "Отправить", static (server, ref call) => server.Send(ref call),
                Parameter("ClientId", "ИДКлиента", ValueKind.Number),
                Parameter("Body", "ТелоСообщения", ValueKind.StringOrBinary)),
            Function<ServerComponent>("Receive", "Принять", static (server, ref call) => server.Receive(ref call),
                Parameter("Timeout", "Таймаут", ValueKind.Number),
                Parameter("ClientId", "ИДКлиента", ValueKind.Any),
                Parameter("Data", "Данные", ValueKind.Any),
                Optional("Event", "Событие", ValueKind.Any, new DefaultValue.Text(""))),
            Function<ServerComponent>("Disconnect", "Отключить", static (server, ref call) => server.Disconnect(ref call),
                Parameter("ClientId", "ИДКлиента", ValueKind.Number),
                Optional("CloseCode", "КодЗакрытия", ValueKind.Number, new DefaultValue.Number(1000)),
                Optional("Reason", "Причина", ValueKind.String, new DefaultValue.Text(""))),
            Function<ServerComponent>("Broadcast", "Разослать", static (server, ref call) => server.Broadcast(ref call),
                Parameter("Body", "ТелоСообщения", ValueKind.StringOrBinary),
                Optional("ClientIds", "ИДКлиентов", ValueKind.String, new DefaultValue.Undefined())),
            Function<ServerComponent>("ConnectionInfo", "ИнформацияОСоединении", static (server, ref call) => server.ConnectionInfo(ref call),
                Parameter("ClientId", "ИДКлиента", ValueKind.Number)),
            Function<ServerComponent>("Statistics", "Статистика", static (server, ref call) => call.ReturnString(server._server.Statistics())),
        ],
        [
            ReadOnly<ServerComponent>("Server", "Сервер", ValueKind.String, static (server, ref value) => value.SetString(server._server.Interface)),
            ReadOnly<ServerComponent>("Port", "Порт", ValueKind.Number, static (server, ref value) => value.SetNumber(server._server.Port)),
            ReadOnly<ServerComponent>("Connections", "Соединения", ValueKind.String, static (server, ref value) => value.SetString(server.ConnectionsText())),
            ReadWrite<ServerComponent>("ConnectionEvents", "СобытияСоединений", ValueKind.Boolean,
                static (server, ref value) => value.SetBoolean(server._connectionEvents),
                static (server, ref value) => server._connectionEvents = value.GetBoolean()),
            ReadWrite<ServerComponent>("ExternalEvents", "ВнешниеСобытия", ValueKind.Boolean,
                static (server, ref value) => value.SetBoolean(server._notifier.Enabled),
                static (server, ref value) => server._notifier.SetEnabled(value.GetBoolean())),
            ReadWrite<ServerComponent>("Subprotocols", "Подпротоколы", ValueKind.String,
                static (server, ref value) => value.SetString(string.Join(',', server._subprotocols)),
                static (server, ref value) => server._subprotocols = SplitList(value.GetString())),
            ReadWrite<ServerComponent>("AllowedOrigins", "РазрешенныеИсточники", ValueKind.String,
                static (server, ref value) => value.SetString(string.Join(',', server._limits.AllowedOrigins)),
                static (server, ref value) => server._limits = server._limits with { AllowedOrigins = SplitList(value.GetString()) }),
            ReadWrite<ServerComponent>("MaxMessageSize", "МаксимальныйРазмерСообщения", ValueKind.Number,
                static (server, ref value) => value.SetNumber(server._limits.MaxMessageBytes),
                static (server, ref value) => server._limits = server._limits with { MaxMessageBytes = (int)Limits.Check(value.GetInteger(), Limits.MessageSize) }),
            ReadWrite<ServerComponent>("MaxConnections", "МаксимумСоединений", ValueKind.Number,
                static (server, ref value) => value.SetNumber(server._limits.MaxConnections),
                static (server, ref value) => server._limits = server._limits with { MaxConnections = (int)Limits.Check(value.GetInteger(), Limits.Connections) }),
            ReadWrite<ServerComponent>("SendQueueSize", "РазмерОчередиОтправки", ValueKind.Number,
                static (server, ref value) => value.SetNumber(server._limits.MaxOutgoingBytesPerConnection),
                static (server, ref value) => server._limits = server._limits with { MaxOutgoingBytesPerConnection = Limits.Check(value.GetInteger(), Limits.SendQueue) }),
            .. PingProperties.Of<ServerComponent>(static server => server._limits, static (server, limits) => server._limits = limits),
            ReadWrite<ServerComponent>("TrustedProxies", "ДоверенныеПрокси", ValueKind.String,
                static (server, ref value) => value.SetString(string.Join(", ", server._trustedProxies)),
                static (server, ref value) => server._trustedProxies = ParseNetworks(value.GetString())),
            ReadWrite<ServerComponent>("MaxMemory", "МаксимумПамяти", ValueKind.Number,
                static (server, ref value) => value.SetNumber(server._maxMemory),
                static (server, ref value) => server._maxMemory = Limits.Check(value.GetInteger(), Limits.Memory)),
            .. CompressionSettings.Properties<ServerComponent>(static server => server._compression),
            ReadWrite<ServerComponent>("PushAddress", "АдресОтправки", ValueKind.String,
                static (server, ref value) => value.SetString(server._pushAddress),
                static (server, ref value) => server._pushAddress = CheckPushAddress(value.GetString())),
            ReadWrite<ServerComponent>("PushSecret", "СекретОтправки", ValueKind.String,
                static (server, ref value) => value.SetString(server._pushSecret.Length == 0 ? string.Empty : "********"),
                static (server, ref value) => server._pushSecret = value.GetString()),
            ReadWrite<ServerComponent>("PushRate", "ЧастотаОтправки", ValueKind.Number,
                static (server, ref value) => value.SetNumber(server._pushRate),
                static (server, ref value) => server._pushRate = (int)Limits.Check(value.GetInteger(), Limits.PushRate)),
            ReadOnly<ServerComponent>("PushPort", "ПортОтправки", ValueKind.Number, static (server, ref value) => value.SetNumber(server._server.PushPort)),
            ReadWrite<ServerComponent>("LogFile", "ФайлЖурнала", ValueKind.String,
                static (server, ref value) => value.SetString(server._logFile),
                static (server, ref value) => server._logFile = value.GetString().Trim()),
            ReadWrite<ServerComponent>("LogLevel", "УровеньЖурнала", ValueKind.String,
                static (server, ref value) => value.SetString(server._logEverything ? LogInfo : LogWarning),
                static (server, ref value) => server._logEverything = ParseLogLevel(value.GetString())),
            ReadWrite<ServerComponent>("LogMaxSize", "РазмерЖурнала", ValueKind.Number,
                static (server, ref value) => value.SetNumber(server._logMaxBytes),
                static (server, ref value) => server._logMaxBytes = Limits.Check(value.GetInteger(), Limits.LogSize)),
        ]);

    private readonly WebSocketServer _server = new();
    private readonly ExternalEventNotifier _notifier;
    private ConnectionLimits _limits = new();
    private IReadOnlyList<string> _subprotocols = [];
    private bool _connectionEvents;
    private long _maxMemory = ServerSettings.DefaultMemoryBudgetBytes;
    private IReadOnlyList<System.Net.IPNetwork> _trustedProxies = [];
    private readonly CompressionSettings _compression = new();
    private string _pushAddress = string.Empty;
    private string _pushSecret = string.Empty;
    private int _pushRate = 1000;
    private string _logFile = string.Empty;
    private bool _logEverything = true;
    private long _logMaxBytes = 10L * 1024 * 1024;

    public ServerComponent()
        : base(Members, "AddIn.WebSocket.Server")
    {
        _notifier = new ExternalEventNotifier(this, MessageEvent);
        _server.InboundAvailable = _notifier.OnQueued;
    }

    protected override void ReleaseResources()
    {
        _notifier.Dispose();
        _server.Dispose();
    }

    private void Run(ref MethodCall call)
    {
        var interfaceText = call.GetString(0);
        var port = call.GetInteger(1);
        var certificatePath = call.GetString(2);
        var keyPath = call.GetString(3);
        var password = call.GetString(4);
        if (port is < 0 or > 65535)
        {
            throw new AddInException(ServerMessages.PortOutOfRange(port));
        }

        // The engine refuses too; asking first means a running server is reported as such, not as
        // whatever is wrong with the certificate files it would otherwise read in vain.
        if (_server.IsRunning)
        {
            throw new AddInException(ServerMessages.StartFailed(
                new ServerStartException(StartFailure.AlreadyRunning, $"{_server.Interface}:{_server.Port}"), interfaceText, port));
        }

        if (certificatePath.Length == 0 && (keyPath.Length > 0 || password.Length > 0))
        {
            throw new AddInException(ServerMessages.KeyWithoutCertificate);
        }

        if (_pushAddress.Length > 0 && _pushSecret.Length < MinimumPushSecret)
        {
            throw new AddInException(ServerMessages.PushSecretTooShort(MinimumPushSecret));
        }

        if (_maxMemory != 0 && _limits.MaxMessageBytes > _maxMemory)
        {
            // Such a message could never be received: it would always be over the budget.
            throw new AddInException(ServerMessages.MessageOverMemory(_limits.MaxMessageBytes, _maxMemory));
        }

        ServerCertificate? certificate = null;
        try
        {
            certificate = certificatePath.Length == 0 ? null : ServerCertificate.Load(certificatePath, keyPath, password);
            _server.Start(new ServerSettings
            {
                Interface = interfaceText,
                Port = (int)port,
                Certificate = certificate,
                Limits = _limits,
                Subprotocols = _subprotocols,
                ReportConnectionEvents = _connectionEvents,
                MemoryBudgetBytes = _maxMemory,
                TrustedProxies = _trustedProxies,
                Compression = _compression.ForEngine,
                Push = _pushAddress.Length == 0 ? null : new PushSettings(PushEndpointOf(_pushAddress), _pushSecret, _pushRate),
                Log = _logFile.Length == 0 ? null : new WebSocketAddIn.Engine.Diagnostics.LogSettings(_logFile, _logEverything, _logMaxBytes),
            });
        }
        catch (CertificateException failure)
        {
            throw new AddInException(ServerMessages.Certificate(failure), failure);
        }
        catch (ServerStartException failure)
        {
            certificate?.Dispose();
            throw new AddInException(ServerMessages.StartFailed(failure, interfaceText, port), failure);
        }

        _notifier.Data = _server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        call.ReturnBoolean(true);
    }

    private void Send(ref MethodCall call)
    {
        var clientId = call.GetInteger(0);
        var (kind, payload) = MessageBodies.FromVariant(call.GetStringOrBinary(1), _server.Budget);
        if (_server.Send(clientId, kind, payload))
        {
            call.ReturnBoolean(true);
            return;
        }

        // A client that has gone is not an exception: False, and the reason in ErrorDescription.
        SetLastError(ServerMessages.ClientNotConnected(clientId));
        call.ReturnBoolean(false);
    }

    private void Receive(ref MethodCall call)
    {
        var wait = MessageBodies.ToWait(call.GetInteger(0));
        _notifier.OnTaking();
        if (!_server.TryReceive(wait, out var message))
        {
            call.SetNumber(1, 0);
            call.SetString(2, string.Empty);
            call.SetString(3, string.Empty);
            call.ReturnBoolean(false);
            return;
        }

        try
        {
            call.SetNumber(1, message.ConnectionId);
            switch (message.Kind)
            {
                case InboundKind.Connected:
                    call.SetString(2, ConnectionInfoJson.Describe(message.ConnectionId, message.Connection.Request!));
                    call.SetString(3, ConnectedEvent);
                    break;
                case InboundKind.Disconnected:
                    call.SetString(2, ConnectionInfoJson.Closed(message.Connection.CloseCode, message.Connection.CloseReason));
                    call.SetString(3, DisconnectedEvent);
                    break;
                default:
                    MessageBodies.WriteTo(ref call, 2, message.Kind, message.Payload);
                    call.SetString(3, MessageEvent);
                    break;
            }
        }
        catch (PlatformMemoryException)
        {
            // The platform could not take the message: the next Receive gives it again, nothing is lost.
            _server.PutBack(message);
            throw;
        }

        call.ReturnBoolean(true);
    }

    private void Disconnect(ref MethodCall call)
    {
        var clientId = call.GetInteger(0);
        var code = call.GetInteger(1);
        var reason = call.GetString(2);
        if (code is not (1000 or (>= 3000 and <= 4999)))
        {
            throw new AddInException(ServerMessages.CloseCodeInvalid(code));
        }

        if (System.Text.Encoding.UTF8.GetByteCount(reason) > 123)
        {
            throw new AddInException(ServerMessages.CloseReasonTooLong);
        }

        call.ReturnBoolean(_server.Disconnect(clientId, (WebSocketCloseStatus)code, reason));
    }

    private void Broadcast(ref MethodCall call)
    {
        var body = call.GetStringOrBinary(0);
        // Not given (or Неопределено): every open connection. A list, even an empty one, is that list:
        // a list built from an empty set of authorized ids must reach nobody, not everybody.
        var list = call.GetOptionalString(1);
        var ids = list is null ? null : ParseIds(list);
        var (kind, payload) = MessageBodies.FromVariant(body, _server.Budget);
        call.ReturnNumber(_server.Broadcast(kind, payload, ids));
    }

    private void ConnectionInfo(ref MethodCall call)
    {
        var clientId = call.GetInteger(0);
        if (_server.RequestOf(clientId) is { } request && _server.IsConnected(clientId))
        {
            call.ReturnString(ConnectionInfoJson.Describe(clientId, request));
            return;
        }

        SetLastError(ServerMessages.ClientNotConnected(clientId));
        call.ReturnString(string.Empty);
    }

    private string ConnectionsText() =>
        string.Join('|', _server.OpenConnections().Select(c => $"{c.Id}:{c.RemoteAddress}"));

    /// <summary>Ids separated by commas, semicolons or spaces; "" is no id at all.</summary>
    private static List<long> ParseIds(string text)
    {
        var parts = SplitList(text);
        var ids = new List<long>(parts.Count);
        foreach (var part in parts)
        {
            if (!long.TryParse(part, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var id))
            {
                throw new AddInException(ServerMessages.ClientIdsInvalid(part));
            }

            ids.Add(id);
        }

        return ids;
    }

    private const int MinimumPushSecret = 16;

    /// <summary>"8090" (loopback), "127.0.0.1:8090", "0.0.0.0:8090", "[::1]:8090", "localhost:8090"; "" for none.</summary>
    private static string CheckPushAddress(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length > 0)
        {
            _ = PushEndpointOf(trimmed);
        }

        return trimmed;
    }

    private static System.Net.IPEndPoint PushEndpointOf(string text)
    {
        var normalized = text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" + text["localhost".Length..] : text;
        if (int.TryParse(normalized, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var portOnly) && portOnly <= 65535)
        {
            return new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, portOnly);
        }

        if (System.Net.IPEndPoint.TryParse(normalized, out var endpoint) && normalized.Contains(':') && endpoint.Port is >= 0 and <= 65535
            && (normalized.StartsWith('[') || normalized.Count(c => c == '.') == 3))
        {
            return endpoint;
        }

        throw new AddInException(ServerMessages.PushAddressInvalid(text));
    }

    private static bool ParseLogLevel(string text) => text.Trim().ToLowerInvariant() switch
    {
        LogInfo or "информация" => true,
        LogWarning or "предупреждение" => false,
        _ => throw new AddInException(ServerMessages.LogLevelInvalid(text)),
    };

    /// <summary>"10.0.0.5, 192.168.0.0/16, ::1": addresses (as one-address networks) and CIDR networks.</summary>
    private static List<System.Net.IPNetwork> ParseNetworks(string text)
    {
        var networks = new List<System.Net.IPNetwork>();
        foreach (var part in SplitList(text))
        {
            if (System.Net.IPNetwork.TryParse(part, out var network))
            {
                networks.Add(network);
            }
            else if (System.Net.IPAddress.TryParse(part, out var address) && (part.Contains(':') || part.Count(c => c == '.') == 3))
            {
                networks.Add(new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                throw new AddInException(ServerMessages.TrustedProxyInvalid(part));
            }
        }

        return networks;
    }

    private static List<string> SplitList(string text) =>
        [.. text.Split([',', ';', ' ', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
