using System.Globalization;
using Microsoft.Extensions.Configuration;
using PaxosGo.Core;
using PaxosGo.Orleans;
using PaxosGo.Orleans.Storage;

namespace PaxosGo.Silo;

/// <summary>
/// The protocol's tuning as the silo reads it from configuration (section <c>PaxosGo</c>): the clock
/// (<c>Tick</c>, <c>TimerPeriod</c>, <c>ResultTimeout</c>), the journal (<c>Journal</c>: <c>Table</c> or
/// <c>AppendBlob</c>; <c>JournalCheckpointEvery</c>),
/// <c>AcceptorsNotifyLearners</c>, and the keys of <c>PaxosGo:Proposer</c> and <c>PaxosGo:Learner</c>
/// named in <see cref="ProposerKeys"/> and <see cref="LearnerKeys"/>. A key left out keeps the library
/// default; an unknown key under Proposer or Learner, or a value that does not parse, stops the start
/// with a line that names it. Ranges are checked afterwards by <see cref="PaxosGoOptions.Validate"/>.
/// </summary>
internal sealed class ProtocolTuning
{
    /// <summary>The keys of <c>PaxosGo:Proposer</c> an operator may set.</summary>
    public static readonly IReadOnlyList<string> ProposerKeys =
    [
        nameof(ProposerOptions.MaxBatch), nameof(ProposerOptions.Window), nameof(ProposerOptions.MaxUnlearnedSlots),
        nameof(ProposerOptions.HeartbeatTicks), nameof(ProposerOptions.LeaderTimeoutTicks), nameof(ProposerOptions.RetryTicks),
        nameof(ProposerOptions.ElectionJitterTicks), nameof(ProposerOptions.ThriftyAccepts), nameof(ProposerOptions.MaxPending),
        nameof(ProposerOptions.MaxRetainedChosen),
    ];

    /// <summary>The keys of <c>PaxosGo:Learner</c> an operator may set.</summary>
    public static readonly IReadOnlyList<string> LearnerKeys =
    [
        nameof(LearnerOptions.SnapshotInterval), nameof(LearnerOptions.MaxCatchUpEntries), nameof(LearnerOptions.CatchUpRetryTicks),
        nameof(LearnerOptions.AntiEntropyTicks), nameof(LearnerOptions.MaxBufferedAhead),
    ];

    private readonly List<Action<PaxosGoOptions>> _apply = new();

    private ProtocolTuning()
    {
    }

    /// <summary>Reads the tuning from section <c>PaxosGo</c>.</summary>
    /// <exception cref="StartupException">A value does not parse, or a key under Proposer or Learner is unknown.</exception>
    public static ProtocolTuning Read(IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var tuning = new ProtocolTuning();
        tuning.Read(section, nameof(PaxosGoOptions.Tick), ParseTimeSpan, (o, v) => o.Tick = v);
        tuning.Read(section, nameof(PaxosGoOptions.TimerPeriod), ParseTimeSpan, (o, v) => o.TimerPeriod = v);
        tuning.Read(section, nameof(PaxosGoOptions.ResultTimeout), ParseTimeSpan, (o, v) => o.ResultTimeout = v);
        tuning.Read(section, nameof(PaxosGoOptions.JournalCheckpointEvery), ParseInt, (o, v) => o.JournalCheckpointEvery = v);
        tuning.Read(section, nameof(PaxosGoOptions.Journal), ParseJournal, (o, v) => o.Journal = v);
        tuning.Read(section, nameof(PaxosGoOptions.AcceptorsNotifyLearners), ParseBool, (o, v) => o.AcceptorsNotifyLearners = v);

        var proposer = section.GetSection(nameof(PaxosGoOptions.Proposer));
        CheckKeys(proposer, ProposerKeys);
        tuning.Read(proposer, nameof(ProposerOptions.MaxBatch), ParseInt, (o, v) => o.Proposer = o.Proposer with { MaxBatch = v });
        tuning.Read(proposer, nameof(ProposerOptions.Window), ParseInt, (o, v) => o.Proposer = o.Proposer with { Window = v });
        tuning.Read(proposer, nameof(ProposerOptions.MaxUnlearnedSlots), ParseULong, (o, v) => o.Proposer = o.Proposer with { MaxUnlearnedSlots = v });
        tuning.Read(proposer, nameof(ProposerOptions.HeartbeatTicks), ParseLong, (o, v) => o.Proposer = o.Proposer with { HeartbeatTicks = v });
        tuning.Read(proposer, nameof(ProposerOptions.LeaderTimeoutTicks), ParseLong, (o, v) => o.Proposer = o.Proposer with { LeaderTimeoutTicks = v });
        tuning.Read(proposer, nameof(ProposerOptions.RetryTicks), ParseLong, (o, v) => o.Proposer = o.Proposer with { RetryTicks = v });
        tuning.Read(proposer, nameof(ProposerOptions.ElectionJitterTicks), ParseLong, (o, v) => o.Proposer = o.Proposer with { ElectionJitterTicks = v });
        tuning.Read(proposer, nameof(ProposerOptions.ThriftyAccepts), ParseBool, (o, v) => o.Proposer = o.Proposer with { ThriftyAccepts = v });
        tuning.Read(proposer, nameof(ProposerOptions.MaxPending), ParseInt, (o, v) => o.Proposer = o.Proposer with { MaxPending = v });
        tuning.Read(proposer, nameof(ProposerOptions.MaxRetainedChosen), ParseInt, (o, v) => o.Proposer = o.Proposer with { MaxRetainedChosen = v });

        var learner = section.GetSection(nameof(PaxosGoOptions.Learner));
        CheckKeys(learner, LearnerKeys);
        tuning.Read(learner, nameof(LearnerOptions.SnapshotInterval), ParseInt, (o, v) => o.Learner = o.Learner with { SnapshotInterval = v });
        tuning.Read(learner, nameof(LearnerOptions.MaxCatchUpEntries), ParseInt, (o, v) => o.Learner = o.Learner with { MaxCatchUpEntries = v });
        tuning.Read(learner, nameof(LearnerOptions.CatchUpRetryTicks), ParseLong, (o, v) => o.Learner = o.Learner with { CatchUpRetryTicks = v });
        tuning.Read(learner, nameof(LearnerOptions.AntiEntropyTicks), ParseLong, (o, v) => o.Learner = o.Learner with { AntiEntropyTicks = v });
        tuning.Read(learner, nameof(LearnerOptions.MaxBufferedAhead), ParseULong, (o, v) => o.Learner = o.Learner with { MaxBufferedAhead = v });
        return tuning;
    }

    /// <summary>Sets the configured values on <paramref name="options"/>, leaving the others as they are.</summary>
    public void Apply(PaxosGoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var apply in _apply) apply(options);
    }

    private void Read<T>(IConfigurationSection section, string key, Func<string, T?> parse, Action<PaxosGoOptions, T> apply)
        where T : struct
    {
        string? value = section[key];
        if (string.IsNullOrWhiteSpace(value)) return;
        T parsed = parse(value.Trim()) ?? throw new StartupException(
            $"{section.Path}:{key} must be {Expected<T>()}, not '{value}'");
        _apply.Add(o => apply(o, parsed));
    }

    private static void CheckKeys(IConfigurationSection section, IReadOnlyList<string> known)
    {
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new StartupException($"{child.Path} is not a setting; {section.Path} takes {string.Join(", ", known)}");
            }
        }
    }

    private static string Expected<T>() => typeof(T) == typeof(TimeSpan) ? "a duration such as 00:00:00.020 (hh:mm:ss.fff)"
        : typeof(T) == typeof(bool) ? "true or false"
        : typeof(T) == typeof(JournalStorage) ? string.Join(" or ", Enum.GetNames<JournalStorage>())
        : "a whole number";

    private static TimeSpan? ParseTimeSpan(string value) =>
        TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var result) ? result : null;

    private static JournalStorage? ParseJournal(string value) =>
        Enum.TryParse<JournalStorage>(value, ignoreCase: true, out var kind) && Enum.IsDefined(kind) && !int.TryParse(value, out _) ? kind : null;

    private static int? ParseInt(string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var result) ? result : null;

    private static long? ParseLong(string value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var result) ? result : null;

    private static ulong? ParseULong(string value) =>
        ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var result) ? result : null;

    private static bool? ParseBool(string value) =>
        bool.TryParse(value, out var result) ? result : null;
}
