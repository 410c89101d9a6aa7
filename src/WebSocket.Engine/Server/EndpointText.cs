using System.Net;

namespace WebSocketAddIn.Engine.Server;

/// <summary>Addresses as users read them: "127.0.0.1:50312", "[::1]:50313"; IPv4 clients of a dual-stack socket shown as IPv4.</summary>
public static class EndpointText
{
    public static string Format(IPAddress? address, int port)
    {
        if (address is null)
        {
            return $"?:{port}";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";
    }
}
