using System.Buffers;
using System.Text;
using System.Text.Json;
using WebSocketAddIn.Engine.Connections;

namespace WebSocketAddIn.Components.Server;

/// <summary>
/// Who is connecting, as JSON text for 1C's ПрочитатьJSON: id, address, path, query, headers,
/// subprotocol and connection time; and, for a closed connection, its close code and reason.
/// </summary>
internal static class ConnectionInfoJson
{
    public static string Describe(long id, ConnectionRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteNumber("id", id);
            json.WriteString("address", request.RemoteAddress);
            json.WriteString("proxy", request.ProxyAddress);
            json.WriteString("scheme", request.Scheme);
            json.WriteString("path", request.Path);
            json.WriteString("query", request.Query);
            json.WriteString("subprotocol", request.Subprotocol);
            json.WriteString("connected", request.ConnectedAt.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteStartObject("headers");
            foreach (var (name, value) in request.Headers)
            {
                json.WriteString(name, value);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string Closed(int code, string reason)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteNumber("code", code);
            json.WriteString("reason", reason);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
