using System.Buffers.Binary;
using System.Collections.Immutable;
using System.IO.Hashing;
using Google.Protobuf;
using PaxosGo.Core.Journal.Records;

namespace PaxosGo.Core.Journal;

/// <summary>
/// The durable state of one node's acceptors and proposers, for every application of the node, and
/// the format it is kept in: one append-only log of <em>batches</em> (each a group commit of what the
/// node's acceptors and proposers changed: promises, votes, truncation points, rounds), and
/// <em>checkpoints</em> of the whole state after some batch, so the log can start over. Pure: the host
/// does the I/O (an append blob and block blobs on Azure Storage; memory in the simulator) and applies a
/// batch here only once it is durable, so this state is always what storage holds.
/// </summary>
/// <remarks>
/// A frame on storage is a 4-byte little-endian payload length, the CRC-32 of the payload (4 bytes,
/// little-endian), and the payload (a protobuf <c>Batch</c> or <c>Checkpoint</c>). Reading stops at
/// the first frame that is cut short, fails its checksum or does not parse: a crash in the middle
/// of an append leaves at most such a torn last frame, which was never acknowledged and is dropped.
/// Batches carry consecutive sequence numbers; a batch read twice (an append that a retry repeated)
/// is skipped, a gap ends the log.
/// </remarks>
public sealed class NodeJournal
{
    /// <summary>The bytes before a frame's payload.</summary>
    public const int FrameHeaderLength = 8;

    /// <summary>The largest payload a frame may have (a batch is far smaller; anything larger is garbage).</summary>
    public const int MaxPayloadLength = 256 * 1024 * 1024;

    private readonly Dictionary<string, AcceptorState> _acceptors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ProposerState> _proposers = new(StringComparer.Ordinal);

    /// <summary>The sequence number of the last batch applied (0: none since the empty state).</summary>
    public ulong Sequence { get; private set; }

    /// <summary>How many batches were applied since the last checkpoint (or since the start).</summary>
    public long BatchesSinceCheckpoint { get; private set; }

    /// <summary>An application's acceptor state (<see cref="AcceptorState.Initial"/> when it never saved one).</summary>
    public AcceptorState Acceptor(string application) =>
        _acceptors.TryGetValue(application, out var state) ? state : AcceptorState.Initial;

    /// <summary>An application's proposer state (<see cref="ProposerState.Initial"/> when it never saved one).</summary>
    public ProposerState Proposer(string application) =>
        _proposers.TryGetValue(application, out var state) ? state : ProposerState.Initial;

    /// <summary>
    /// What changed from <paramref name="before"/> to <paramref name="after"/> for one acceptor: its
    /// promise, its truncation point, and every vote it added or replaced. Null when nothing did (an
    /// Accept the acceptor already holds writes nothing).
    /// </summary>
    public static AcceptorChange? Change(string application, AcceptorState before, AcceptorState after)
    {
        ArgumentNullException.ThrowIfNull(application);
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var change = new AcceptorChange { Application = application };
        bool changed = false;
        if (after.Promised != before.Promised)
        {
            change.Promised = Encode(after.Promised);
            changed = true;
        }

        if (after.TruncatedBelow != before.TruncatedBelow)
        {
            change.Truncated = true;
            change.TruncatedBelow = after.TruncatedBelow;
            changed = true;
        }

        foreach (var (slot, vote) in after.Accepted)
        {
            if (before.Accepted.TryGetValue(slot, out var old) && old.Ballot == vote.Ballot && ReferenceEquals(old.Value, vote.Value)) continue;
            if (before.Accepted.TryGetValue(slot, out old) && old.Ballot == vote.Ballot && old.Value.Equals(vote.Value)) continue;
            change.Votes.Add(Encode(vote));
            changed = true;
        }

        return changed ? change : null;
    }

    /// <summary>A proposer's new highest round as a record.</summary>
    public static ProposerRound Round(string application, ProposerState state)
    {
        ArgumentNullException.ThrowIfNull(application);
        ArgumentNullException.ThrowIfNull(state);
        return new ProposerRound { Application = application, MaxRound = state.MaxRound };
    }

    /// <summary>The next batch (sequence <see cref="Sequence"/> + 1) holding <paramref name="acceptors"/> and <paramref name="proposers"/>.</summary>
    public Batch NextBatch(IEnumerable<AcceptorChange> acceptors, IEnumerable<ProposerRound> proposers)
    {
        var batch = new Batch { Sequence = Sequence + 1 };
        batch.Acceptors.AddRange(acceptors);
        batch.Proposers.AddRange(proposers);
        return batch;
    }

    /// <summary>Applies a batch that is now durable. It must be the next one.</summary>
    public void Apply(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Sequence != Sequence + 1)
        {
            throw new InvalidOperationException($"Batch {batch.Sequence} is not the next one after {Sequence}.");
        }

        foreach (var change in batch.Acceptors)
        {
            _acceptors[change.Application] = ApplyChange(Acceptor(change.Application), change);
        }

        foreach (var round in batch.Proposers)
        {
            if (round.MaxRound > Proposer(round.Application).MaxRound) _proposers[round.Application] = new ProposerState(round.MaxRound);
        }

        Sequence = batch.Sequence;
        BatchesSinceCheckpoint++;
    }

    /// <summary>The whole state as a checkpoint frame; the log may start over after it.</summary>
    public byte[] TakeCheckpoint()
    {
        var checkpoint = new Checkpoint { Sequence = Sequence };
        foreach (var (application, state) in _acceptors.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var snapshot = new AcceptorSnapshot { Application = application, Promised = Encode(state.Promised), TruncatedBelow = state.TruncatedBelow };
            foreach (var vote in state.Accepted.Values) snapshot.Votes.Add(Encode(vote));
            checkpoint.Acceptors.Add(snapshot);
        }

        foreach (var (application, state) in _proposers.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            checkpoint.Proposers.Add(Round(application, state));
        }

        BatchesSinceCheckpoint = 0;
        return Frame(checkpoint);
    }

    /// <summary>A journal from a checkpoint frame (null or empty: the empty state).</summary>
    /// <exception cref="InvalidDataException">The checkpoint is damaged (checkpoints are written whole, so this is corruption).</exception>
    public static NodeJournal FromCheckpoint(ReadOnlySpan<byte> frame)
    {
        var journal = new NodeJournal();
        if (frame.IsEmpty) return journal;
        if (!TryReadFrame(frame, out var payload, out int length) || length != frame.Length)
        {
            throw new InvalidDataException("The journal checkpoint is damaged: its frame is cut short or fails its checksum.");
        }

        Checkpoint checkpoint;
        try
        {
            checkpoint = Checkpoint.Parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException("The journal checkpoint does not parse.", e);
        }

        foreach (var snapshot in checkpoint.Acceptors)
        {
            var votes = snapshot.Votes.Select(Decode).ToImmutableSortedDictionary(v => v.Slot, v => v);
            journal._acceptors[snapshot.Application] = new AcceptorState(Decode(snapshot.Promised), snapshot.TruncatedBelow, votes);
        }

        foreach (var round in checkpoint.Proposers) journal._proposers[round.Application] = new ProposerState(round.MaxRound);
        journal.Sequence = checkpoint.Sequence;
        return journal;
    }

    /// <summary>
    /// Applies every whole, valid batch of <paramref name="log"/> that continues this journal, in order.
    /// Returns how many bytes of the log are that valid prefix (duplicates of applied batches
    /// included); the rest, if any, is a torn or damaged tail, which the host must not append after.
    /// </summary>
    public int Replay(ReadOnlySpan<byte> log)
    {
        int offset = 0;
        while (offset < log.Length)
        {
            if (!TryReadFrame(log[offset..], out var payload, out int length)) break;
            Batch batch;
            try
            {
                batch = Batch.Parser.ParseFrom(payload);
            }
            catch (InvalidProtocolBufferException)
            {
                break;
            }

            if (batch.Sequence <= Sequence)
            {
                offset += length; // written twice (a retried append), or before the checkpoint: already in
                continue;
            }

            if (batch.Sequence != Sequence + 1) break; // a gap: nothing after it can be trusted
            Apply(batch);
            offset += length;
        }

        return offset;
    }

    /// <summary>A frame: payload length, CRC-32 of the payload, payload.</summary>
    public static byte[] Frame(IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        byte[] payload = message.ToByteArray();
        var frame = new byte[FrameHeaderLength + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), Crc32.HashToUInt32(payload));
        payload.CopyTo(frame, FrameHeaderLength);
        return frame;
    }

    private static bool TryReadFrame(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> payload, out int length)
    {
        payload = default;
        length = 0;
        if (data.Length < FrameHeaderLength) return false;
        int size = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (size < 0 || size > MaxPayloadLength || size > data.Length - FrameHeaderLength) return false;
        var body = data.Slice(FrameHeaderLength, size);
        if (Crc32.HashToUInt32(body) != BinaryPrimitives.ReadUInt32LittleEndian(data[4..])) return false;
        payload = body;
        length = FrameHeaderLength + size;
        return true;
    }

    private static AcceptorState ApplyChange(AcceptorState state, AcceptorChange change)
    {
        if (change.Promised is not null) state = state with { Promised = Decode(change.Promised) };
        if (change.Truncated)
        {
            var kept = state.Accepted.Where(p => p.Key >= change.TruncatedBelow).ToImmutableSortedDictionary();
            state = state with { TruncatedBelow = change.TruncatedBelow, Accepted = kept };
        }

        if (change.Votes.Count > 0)
        {
            var votes = state.Accepted.ToBuilder();
            foreach (var record in change.Votes)
            {
                var vote = Decode(record);
                votes[vote.Slot] = vote;
            }

            state = state with { Accepted = votes.ToImmutable() };
        }

        return state;
    }

    private static BallotRecord Encode(Ballot ballot) => new() { Round = ballot.Round, Node = ballot.Node.Value };

    private static Ballot Decode(BallotRecord? record) => record is null ? Ballot.Zero : new Ballot(record.Round, new NodeId(record.Node));

    private static VoteRecord Encode(AcceptedEntry vote)
    {
        var value = new ValueRecord { NoOp = vote.Value.IsNoOp };
        foreach (var command in vote.Value.Commands)
        {
            value.Commands.Add(new CommandRecord { ClientId = command.ClientId, RequestId = command.RequestId, Payload = ByteString.CopyFrom(command.Payload) });
        }

        return new VoteRecord { Slot = vote.Slot, Ballot = Encode(vote.Ballot), Value = value };
    }

    private static AcceptedEntry Decode(VoteRecord record)
    {
        var value = record.Value is null || record.Value.NoOp
            ? Value.NoOp
            : Value.Batch(record.Value.Commands.Select(c => new Command(c.ClientId, c.RequestId, c.Payload.ToByteArray())).ToArray());
        return new AcceptedEntry(record.Slot, Decode(record.Ballot), value);
    }
}
