using System.Text.RegularExpressions;

namespace PaxosGo.Orleans.Grains;

/// <summary>
/// Keys of the pinned grains: <c>{application}/{node name}</c>. The placement director reads the node
/// name from the key to find the node's silo.
/// </summary>
public static partial class GrainKeys
{
    /// <summary>What application and node names look like.</summary>
    public const string NamePattern = "^[a-z0-9][a-z0-9-]{0,62}$";

    /// <summary>The key of an application's grain on a node.</summary>
    public static string For(string application, string node) => $"{application}/{node}";

    /// <summary>Splits a pinned grain key into application and node.</summary>
    public static (string Application, string Node) Parse(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        int slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == key.Length - 1 || key.IndexOf('/', slash + 1) >= 0)
        {
            throw new ArgumentException($"'{key}' is not a pinned grain key (application/node).", nameof(key));
        }

        return (key[..slash], key[(slash + 1)..]);
    }

    /// <summary>Whether <paramref name="name"/> is a valid application or node name.</summary>
    public static bool IsValidName(string? name) => name is not null && NameRegex().IsMatch(name);

    [GeneratedRegex(NamePattern)]
    private static partial Regex NameRegex();
}
