using System;
using System.Collections.Generic;
using Microsoft.AspNetCore.Http;

namespace WebSocketAddIn.Engine.Server;

/// <summary>
/// RFC 7239's Forwarded header, as the X-Forwarded-For and X-Forwarded-Proto headers ASP.NET
/// Core's forwarded-headers middleware reads. Only the syntax is translated here (hops by comma,
/// parameters by semicolon, quoted values, IPv6 in brackets); which hops to believe stays the
/// middleware's decision (trusted proxies, from the right). Applied only when the request carries
/// Forwarded and no X-Forwarded-For of its own.
/// </summary>
internal static class ForwardedHeader
{
    public static void TranslateInto(IHeaderDictionary headers)
    {
        if (!headers.TryGetValue("Forwarded", out var forwarded) || headers.ContainsKey("X-Forwarded-For"))
        {
            return;
        }

        var addresses = new List<string>();
        var schemes = new List<string>();
        foreach (var line in forwarded)
        {
            foreach (var hop in (line ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                string? address = null, scheme = null;
                foreach (var pair in hop.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var equals = pair.IndexOf('=', StringComparison.Ordinal);
                    if (equals <= 0)
                    {
                        continue;
                    }

                    var name = pair[..equals].Trim();
                    var value = Unquote(pair[(equals + 1)..].Trim());
                    if (name.Equals("for", StringComparison.OrdinalIgnoreCase))
                    {
                        address = value;
                    }
                    else if (name.Equals("proto", StringComparison.OrdinalIgnoreCase))
                    {
                        scheme = value;
                    }
                }

                // A hop without for= (or an obfuscated one, "_hidden", "unknown") is kept as what it
                // is: the middleware stops at a value that is no address, as it must.
                addresses.Add(address ?? "unknown");
                if (scheme is not null)
                {
                    schemes.Add(scheme);
                }
            }
        }

        headers["X-Forwarded-For"] = string.Join(", ", addresses);
        if (schemes.Count == addresses.Count)
        {
            headers["X-Forwarded-Proto"] = string.Join(", ", schemes);
        }
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal) : value;
}
