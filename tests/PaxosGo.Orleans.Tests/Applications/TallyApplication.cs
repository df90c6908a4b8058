// The code of docs/write-your-own-application.md, word for word (a test checks that the page still
// shows it): a user's application, added to a cluster through PaxosGo's public surface only.
// --- begin page code ---
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using PaxosGo.Core;
using PaxosGo.Orleans.Applications;

namespace Tally;

/// <summary>Counts votes per word. A command's payload is one word, 1 to 32 lowercase letters.</summary>
public sealed class TallyStateMachine : IStateMachine
{
    private readonly SortedDictionary<string, ulong> _votes = new(StringComparer.Ordinal);

    /// <summary>The votes a word has (read it through LocalReplicas, never change it from there).</summary>
    public ulong VotesFor(string word) => _votes.GetValueOrDefault(word);

    public byte[] Apply(Command command)
    {
        string word = Encoding.UTF8.GetString(command.Payload);
        if (!TallyValidator.IsWord(word)) return Encoding.UTF8.GetBytes("refused"); // deterministic: every replica refuses it alike
        ulong votes = _votes[word] = VotesFor(word) + 1;
        return Encoding.UTF8.GetBytes($"{word}={votes}");
    }

    public byte[] Snapshot() =>
        Encoding.UTF8.GetBytes(string.Join('\n', _votes.Select(v => $"{v.Key} {v.Value}")));

    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        var votes = new SortedDictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var line in Encoding.UTF8.GetString(snapshot).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length != 2 || !TallyValidator.IsWord(parts[0]) || !ulong.TryParse(parts[1], out var count))
            {
                throw new InvalidDataException($"Not a tally snapshot line: '{line}'.");
            }

            votes[parts[0]] = count;
        }

        _votes.Clear();
        foreach (var (word, count) in votes) _votes[word] = count;
    }
}

/// <summary>Refuses, at the entry node, a payload that is not a word: nothing is proposed.</summary>
public sealed class TallyValidator : ICommandValidator
{
    public static bool IsWord(string text) => text.Length is >= 1 and <= 32 && text.All(c => c is >= 'a' and <= 'z');

    public ValueTask<string?> ValidateAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        ValueTask.FromResult(IsWord(Encoding.UTF8.GetString(payload.Span)) ? null : "a vote is one word of 1 to 32 lowercase letters");
}

public static class TallySilo
{
    /// <summary>What a silo adds, next to AddPaxosGo and its storage.</summary>
    public static ISiloBuilder AddTally(this ISiloBuilder silo) =>
        silo.AddApplication<TallyStateMachine>("tally")
            .AddCommandValidator<TallyValidator>("tally");

    /// <summary>A front end's read of this node's replica, without going through Paxos.</summary>
    public static ulong LocalVotes(IServiceProvider services, string word) =>
        services.GetRequiredService<LocalReplicas>()
            .Read<TallyStateMachine, ulong>("tally", (tally, version) => tally.VotesFor(word));
}
// --- end page code ---
