namespace PaxosGo.NameServer;

/// <summary>
/// Zone names as the replicated zone map keeps them: fully qualified, lower case, with the trailing
/// dot (<c>example.com.</c>). DNS compares names case-insensitively, so two spellings of one name are
/// one key. A name is ASCII letters, digits and hyphens in labels of 1 to 63 characters that neither
/// start nor end with a hyphen (internationalized names in their <c>xn--</c> form), at most 253
/// characters without the trailing dot; the root zone (<c>.</c>) is not a zone this map serves.
/// </summary>
public static class ZoneName
{
    /// <summary>The longest name, without its trailing dot (RFC 1035: 255 bytes on the wire).</summary>
    public const int MaxLength = 253;

    /// <summary>The longest label.</summary>
    public const int MaxLabelLength = 63;

    /// <summary>
    /// The canonical form of <paramref name="name"/> (lower case, trailing dot), or null with the
    /// reason in <paramref name="error"/>.
    /// </summary>
    public static string? Normalize(string? name, out string error)
    {
        string bare = name is not null && name.EndsWith('.') ? name[..^1] : name ?? "";
        error = Problem(name, bare) ?? "";
        return error.Length == 0 ? bare.ToLowerInvariant() + "." : null;
    }

    // What is wrong with the name (without its trailing dot), or null.
    private static string? Problem(string? name, string bare)
    {
        if (string.IsNullOrEmpty(name)) return "The zone name is empty.";
        if (bare.Length == 0) return "The root zone is not a zone this map serves.";
        if (bare.Length > MaxLength) return $"The zone name is {bare.Length} characters long; at most {MaxLength} are allowed.";
        foreach (string label in bare.Split('.'))
        {
            if (label.Length == 0) return "The zone name has an empty label (two dots in a row, or a leading dot).";
            if (label.Length > MaxLabelLength) return $"A label of the zone name is {label.Length} characters long; at most {MaxLabelLength} are allowed.";
            if (label[0] == '-' || label[^1] == '-') return "A label of the zone name starts or ends with a hyphen.";
            if (!label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return "The zone name may hold only ASCII letters, digits, hyphens and dots (internationalized names in their xn-- form).";
            }
        }

        return null;
    }
}
