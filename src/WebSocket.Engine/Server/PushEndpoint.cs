using System;
using System.Collections.Generic;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;
using System.Threading;
using System.Threading.RateLimiting;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using WebSocketAddIn.Engine.Messaging;

namespace WebSocketAddIn.Engine.Server;

/// <summary>What the push endpoint listens on and who may use it.</summary>
/// <param name="Endpoint">Loopback unless the user names another interface.</param>
/// <param name="Secret">Every request must carry it (Authorization: Bearer, or X-Push-Secret).</param>
/// <param name="RequestsPerSecond">Beyond this the endpoint answers 429; 0: no limit.</param>
public sealed record PushSettings(IPEndPoint Endpoint, string Secret, int RequestsPerSecond = 1000);

/// <summary>
/// An HTTP endpoint of the running server, for the 1C sessions that do not hold the server
/// object (an HTTP service, a background job, another user's form, another server of the
/// cluster): they send to one connection, a list, or all with the platform's own HTTPСоединение,
/// and learn how many connections the message was queued for.
/// <code>
///   POST /send?id=5           the body to connection 5
///   POST /send?ids=5,7,9      the body to each of them
///   POST /broadcast           the body to every open connection
///   GET  /statistics          Статистика() of the server
/// </code>
/// The body is text (UTF-8) unless Content-Type is application/octet-stream; the answer is
/// {"queued": N}. 401 without the secret (compared in constant time), 405 for another method,
/// 404 for another path, 413 over MaxMessageSize, 400 for a bad id or text that is not UTF-8,
/// 429 over the request rate, 503 while the server stops.
/// </summary>
internal sealed class PushEndpoint : IDisposable
{
    private readonly WebSocketServer _server;
    private readonly byte[] _secretHash;
    private readonly int _maxBody;
    private readonly TokenBucketRateLimiter? _rate;

    public PushEndpoint(WebSocketServer server, PushSettings settings, int maxBody)
    {
        _server = server;
        _secretHash = SHA256.HashData(Encoding.UTF8.GetBytes(settings.Secret));
        _maxBody = maxBody;
        if (settings.RequestsPerSecond > 0)
        {
            _rate = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = settings.RequestsPerSecond,
                TokensPerPeriod = settings.RequestsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        }
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        if (!Authorized(request))
        {
            response.Headers.WWWAuthenticate = "Bearer";
            await AnswerAsync(response, StatusCodes.Status401Unauthorized, "the push secret is missing or wrong").ConfigureAwait(false);
            return;
        }

        using var lease = _rate?.AttemptAcquire();
        if (lease is { IsAcquired: false })
        {
            response.Headers.RetryAfter = "1";
            await AnswerAsync(response, StatusCodes.Status429TooManyRequests, "too many requests").ConfigureAwait(false);
            return;
        }

        var path = request.Path.Value ?? "/";
        var isStatistics = path == "/statistics";
        if (path is not ("/send" or "/broadcast") && !isStatistics)
        {
            await AnswerAsync(response, StatusCodes.Status404NotFound, "unknown path: use /send?id=N, /send?ids=N,M, /broadcast or /statistics").ConfigureAwait(false);
            return;
        }

        if (isStatistics ? !HttpMethods.IsGet(request.Method) : !HttpMethods.IsPost(request.Method))
        {
            response.Headers.Allow = isStatistics ? "GET" : "POST";
            await AnswerAsync(response, StatusCodes.Status405MethodNotAllowed, $"use {(isStatistics ? "GET" : "POST")}").ConfigureAwait(false);
            return;
        }

        if (!_server.IsRunning)
        {
            await AnswerAsync(response, StatusCodes.Status503ServiceUnavailable, "the server is stopping").ConfigureAwait(false);
            return;
        }

        if (isStatistics)
        {
            response.ContentType = "application/json; charset=utf-8";
            await response.WriteAsync(_server.Statistics()).ConfigureAwait(false);
            return;
        }

        // /broadcast: every open connection (null); /send: the ones named.
        List<long>? targets = null;
        if (path == "/send" && (targets = ParseTargets(request.Query)) is null)
        {
            await AnswerAsync(response, StatusCodes.Status400BadRequest, "give the connection as ?id=N or ?ids=N,M,...").ConfigureAwait(false);
            return;
        }

        var binary = request.ContentType?.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase) == true;
        var (body, problem) = await ReadBodyAsync(request, binary).ConfigureAwait(false);
        if (problem is not null)
        {
            await AnswerAsync(response, problem.Value.Status, problem.Value.Text).ConfigureAwait(false);
            return;
        }

        var queued = _server.Broadcast(binary ? MessageKind.Binary : MessageKind.Text, body, targets);
        response.ContentType = "application/json; charset=utf-8";
        await response.WriteAsync($"{{\"queued\":{queued}}}").ConfigureAwait(false);
    }

    public void Dispose() => _rate?.Dispose();

    private bool Authorized(HttpRequest request)
    {
        string? given = null;
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            given = authorization["Bearer ".Length..].Trim();
        }
        else if (request.Headers.TryGetValue("X-Push-Secret", out var header))
        {
            given = header.ToString();
        }

        // Hashes of equal length, compared in constant time: neither the secret's length nor its
        // first wrong byte shows in how long a refusal takes.
        return given is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), _secretHash);
    }

    private static List<long>? ParseTargets(IQueryCollection query)
    {
        var text = query.TryGetValue("id", out var id) ? id.ToString() : query.TryGetValue("ids", out var ids) ? ids.ToString() : null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var targets = new List<long>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }

            targets.Add(value);
        }

        return targets.Count == 0 ? null : targets;
    }

    private async Task<(Payload Body, (int Status, string Text)? Problem)> ReadBodyAsync(HttpRequest request, bool binary)
    {
        if (request.ContentLength > _maxBody)
        {
            return (Payload.Empty, (StatusCodes.Status413PayloadTooLarge, $"the body is over MaxMessageSize ({_maxBody} bytes)"));
        }

        var budget = _server.Budget;
        var buffer = MessageBuffers.Rent((int)Math.Min(request.ContentLength ?? 4096, _maxBody) + 1);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > _maxBody)
                    {
                        break;
                    }

                    var larger = MessageBuffers.Rent((int)Math.Min((long)buffer.Length * 2, _maxBody + 1L));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    MessageBuffers.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, _maxBody + 1) - length)).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > _maxBody)
                {
                    break;
                }
            }
        }
        catch
        {
            MessageBuffers.Return(buffer);
            throw;
        }

        if (length > _maxBody)
        {
            MessageBuffers.Return(buffer);
            return (Payload.Empty, (StatusCodes.Status413PayloadTooLarge, $"the body is over MaxMessageSize ({_maxBody} bytes)"));
        }

        if (!binary && !Utf8.IsValid(buffer.AsSpan(0, length)))
        {
            MessageBuffers.Return(buffer);
            return (Payload.Empty, (StatusCodes.Status400BadRequest, "the body is not UTF-8 text (send binary as application/octet-stream)"));
        }

        budget.Charge(buffer.Length);
        return (Payload.FromRented(buffer, length, budget), null);
    }

    private static Task AnswerAsync(HttpResponse response, int status, string text)
    {
        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        return response.WriteAsync($"{{\"error\":\"{text}\"}}");
    }
}
