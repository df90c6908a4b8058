using System.Text;

namespace PaxosGo.NameServer.Zones;

/// <summary>
/// Puts a master file (RFC 1035 section 5) into the one-record-per-line form the parser reads: a
/// parenthesized record that spans lines becomes one line, its parentheses and comments dropped,
/// quoted text kept as it is. (ARSoft.Tools.Net 3.6.1 loses every record after a line whose
/// parentheses open and close on that same line, as in <c>@ SOA ns host ( 1 3600 900 604800 300 )</c>.)
/// Each logical line keeps the number of the file line it starts on, for error messages.
/// </summary>
internal static class MasterFileText
{
    /// <summary>The logical lines of <paramref name="text"/> with the file line each starts on.</summary>
    /// <exception cref="FormatException">A parenthesis or a quote is not closed, or a ')' has no '('.</exception>
    public static List<(int Line, string Text)> LogicalLines(string text)
    {
        var lines = new List<(int, string)>();
        var current = new StringBuilder();
        int line = 1, startLine = 1, depth = 0, openedOn = 0;
        bool quoted = false, comment = false, escaped = false;
        foreach (char c in text)
        {
            if (c == '\n')
            {
                if (quoted) throw new FormatException($"line {line}: a quoted string is not closed on its line");
                comment = false;
                line++;
                if (depth > 0)
                {
                    current.Append(' ');
                    continue;
                }

                lines.Add((startLine, current.ToString().TrimEnd()));
                current.Clear();
                startLine = line;
                continue;
            }

            if (comment || c == '\r') continue;
            if (escaped)
            {
                escaped = false;
                current.Append(c);
                continue;
            }

            switch (c)
            {
                case '\\':
                    escaped = true;
                    current.Append(c);
                    break;
                case '"':
                    quoted = !quoted;
                    current.Append(c);
                    break;
                case ';' when !quoted:
                    comment = true;
                    break;
                case '(' when !quoted:
                    if (depth++ == 0) openedOn = line;
                    current.Append(' ');
                    break;
                case ')' when !quoted:
                    if (--depth < 0) throw new FormatException($"line {line}: ')' without a '('");
                    current.Append(' ');
                    break;
                default:
                    current.Append(c);
                    break;
            }
        }

        if (quoted) throw new FormatException($"line {line}: a quoted string is not closed");
        if (depth > 0) throw new FormatException($"line {openedOn}: '(' is never closed");
        lines.Add((startLine, current.ToString().TrimEnd()));
        return lines;
    }
}
