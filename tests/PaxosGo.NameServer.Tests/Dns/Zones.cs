using System.Security.Cryptography;
using System.Text;
using PaxosGo.NameServer.Zones;

namespace PaxosGo.NameServer.Tests.Dns;

/// <summary>Zone sets built from zone texts, as a node's catalog builds them.</summary>
internal static class Zones
{
    public static LoadedZone Load(string text, string name = "example.com")
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var file = ZoneFile.Parse(name, bytes, out var error) ?? throw new InvalidOperationException(error);
        return new LoadedZone(file, SHA256.HashData(bytes));
    }

    public static ZoneSet Set(params string[] texts) => new(texts.Select(t => Load(t)));
}
