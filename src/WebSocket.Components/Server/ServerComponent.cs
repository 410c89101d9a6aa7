using System.Linq;
using OneC.NativeApi.Components;
using WebSocketAddIn.Components.Common;
using WebSocketAddIn.Engine.Server;
using WebSocketAddIn.Engine.Tls;
using static OneC.NativeApi.Components.Declare;

namespace WebSocketAddIn.Components.Server;

/// <summary>AddIn.WebSocket.Server: the contract's server object over <see cref="WebSocketServer"/>.</summary>
public sealed class ServerComponent : AddInComponent
{
    public const string ClassName = "Server";

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
                Parameter("Data", "Данные", ValueKind.Any)),
            Function<ServerComponent>("Disconnect", "Отключить", static (server, ref call) => call.ReturnBoolean(server._server.Disconnect(call.GetInteger(0))),
                Parameter("ClientId", "ИДКлиента", ValueKind.Number)),
        ],
        [
            ReadOnly<ServerComponent>("Server", "Сервер", ValueKind.String, static (server, ref value) => value.SetString(server._server.Interface)),
            ReadOnly<ServerComponent>("Port", "Порт", ValueKind.Number, static (server, ref value) => value.SetNumber(server._server.Port)),
            ReadOnly<ServerComponent>("Connections", "Соединения", ValueKind.String, static (server, ref value) => value.SetString(server.ConnectionsText())),
        ]);

    private readonly WebSocketServer _server = new();

    public ServerComponent()
        : base(Members, "AddIn.WebSocket.Server")
    {
    }

    protected override void ReleaseResources() => _server.Dispose();

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

        if (_server.IsRunning)
        {
            throw new AddInException(ServerMessages.StartFailed(
                new ServerStartException(StartFailure.AlreadyRunning, $"{_server.Interface}:{_server.Port}"), interfaceText, port));
        }

        if (certificatePath.Length == 0 && keyPath.Length > 0)
        {
            throw new AddInException(ServerMessages.KeyWithoutCertificate);
        }

        ServerCertificate? certificate = null;
        try
        {
            certificate = certificatePath.Length == 0 ? null : ServerCertificate.Load(certificatePath, keyPath, password);
            _server.Start(new ServerSettings { Interface = interfaceText, Port = (int)port, Certificate = certificate });
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

        call.ReturnBoolean(true);
    }

    private void Send(ref MethodCall call)
    {
        var clientId = call.GetInteger(0);
        var body = call.GetStringOrBinary(1);
        var (kind, payload) = MessageBodies.FromVariant(body);
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
        if (!_server.TryReceive(MessageBodies.ToWait(call.GetInteger(0)), out var message))
        {
            call.SetNumber(1, 0);
            call.SetString(2, string.Empty);
            call.ReturnBoolean(false);
            return;
        }

        call.SetNumber(1, message.ConnectionId);
        MessageBodies.WriteTo(ref call, 2, message.Kind, message.Payload);
        call.ReturnBoolean(true);
    }

    private string ConnectionsText() =>
        string.Join('|', _server.OpenConnections().Select(c => $"{c.Id}:{c.RemoteAddress}"));
}
