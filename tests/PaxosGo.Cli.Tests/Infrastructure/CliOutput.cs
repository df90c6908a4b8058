using System.Text.RegularExpressions;

namespace PaxosGo.Cli.Tests.Infrastructure;

/// <summary>The lines of <c>paxosgo</c>'s output that more than one test class reads.</summary>
internal static partial class CliOutput
{
    /// <summary>What <c>paxosgo submit --add</c> prints for a committed command.</summary>
    [GeneratedRegex(@"^state=(?<state>\d+) node=(?<node>\S+) total=(?<total>\d+)$")]
    public static partial Regex ReplyLine();

    /// <summary>One node's line of <c>paxosgo state</c>.</summary>
    [GeneratedRegex(@"^(?<node>\S+)\s+state=(?<state>\d+)\s+next-slot=\d+\s+digest=[0-9a-f]+$")]
    public static partial Regex StateLine();
}
