using System;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace WebSocketAddIn.Engine.Server;

/// <summary>
/// What RFC 6455 §4.2 asks of a server before the upgrade that ASP.NET Core's WebSocket middleware
/// does not do itself: an upgrade over HTTP/1.0 is refused (400), a version other than 13 gets 426
/// with the version we speak, any other malformed upgrade gets 400; a plain HTTP request (a browser
/// opening the address, a health check) gets 426 and a line saying what this is. The middleware's
/// own check (method GET, Upgrade and Connection tokens in any case and in lists, a 16-byte key)
/// decides what is a valid upgrade; this only picks the answer to one that is not.
/// </summary>
internal static class Handshake
{
    public const string SupportedVersion = "13";

    public enum Problem
    {
        NotWebSocket,
        NotHttp11,
        UnsupportedVersion,
        Malformed,
    }

    /// <summary>Null for a request the upgrade may go ahead with.</summary>
    public static Problem? Refusal(HttpRequest request)
    {
        var asksForWebSocket = HasToken(request.Headers.GetCommaSeparatedValues(HeaderNames.Upgrade), "websocket");
        if (!asksForWebSocket)
        {
            return request.HttpContext.WebSockets.IsWebSocketRequest ? null : Problem.NotWebSocket;
        }

        if (!HttpProtocol.IsHttp11(request.Protocol))
        {
            return Problem.NotHttp11;
        }

        if (request.HttpContext.WebSockets.IsWebSocketRequest)
        {
            return null;
        }

        return HttpMethods.IsGet(request.Method) && !HasToken(request.Headers.GetCommaSeparatedValues(HeaderNames.SecWebSocketVersion), SupportedVersion)
            ? Problem.UnsupportedVersion
            : Problem.Malformed;
    }

    public static Task RefuseAsync(HttpContext context, Problem problem)
    {
        var response = context.Response;
        switch (problem)
        {
            case Problem.NotWebSocket:
                response.StatusCode = StatusCodes.Status426UpgradeRequired;
                response.Headers.Upgrade = "websocket";
                response.Headers.Connection = "Upgrade";
                response.Headers.SecWebSocketVersion = SupportedVersion;
                return response.WriteAsync("This is a WebSocket server.\n");
            case Problem.UnsupportedVersion:
                response.StatusCode = StatusCodes.Status426UpgradeRequired;
                response.Headers.SecWebSocketVersion = SupportedVersion;
                return response.WriteAsync("Unsupported WebSocket version: this server speaks version 13.\n");
            case Problem.NotHttp11:
                response.StatusCode = StatusCodes.Status400BadRequest;
                return response.WriteAsync("A WebSocket upgrade needs HTTP/1.1.\n");
            default:
                response.StatusCode = StatusCodes.Status400BadRequest;
                return response.WriteAsync("Malformed WebSocket upgrade request.\n");
        }
    }

    private static bool HasToken(string[] values, string token)
    {
        foreach (var value in values)
        {
            if (string.Equals(value.Trim(), token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
