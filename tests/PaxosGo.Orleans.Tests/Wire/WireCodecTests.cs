using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using PaxosGo.Core;
using PaxosGo.Orleans.Wire;
using Xunit;

namespace PaxosGo.Orleans.Tests.Wire;

public class WireCodecTests
{
    private static readonly NodeId N0 = new(0);
    private static readonly NodeId N1 = new(1);
    private static readonly NodeId N2 = new(2);

    private static Command Cmd(string client, ulong request, params byte[] payload) => new(client, request, payload);

    private static Ballot B(ulong round, NodeId node) => new(round, node);

    private static readonly Value Batch1 = Value.Batch(new[] { Cmd("alice", 1, 1, 2, 3) });

    private static readonly Value Batch3 = Value.Batch(new[]
    {
        Cmd("bob", 7),
        Cmd("ünïcødé-客户-🚀", ulong.MaxValue, Enumerable.Range(0, 300).Select(i => (byte)i).ToArray()),
        Cmd(string.Empty, 0, 0xff),
    });

    /// <summary>One instance of every message type, with edge values (extremes, empty and non-empty lists, null and present optionals).</summary>
    public static IEnumerable<Message> SampleMessages()
    {
        yield return new Prepare(N0, B(1, N0), 0);
        yield return new Prepare(new NodeId(int.MaxValue), B(ulong.MaxValue, new NodeId(int.MinValue)), ulong.MaxValue);
        yield return new Promise(N1, B(3, N2), 5, Array.Empty<AcceptedEntry>());
        yield return new Promise(N1, B(3, N2), 5, new[]
        {
            new AcceptedEntry(9, B(2, N0), Batch1),
            new AcceptedEntry(6, B(1, N1), Value.NoOp),
            new AcceptedEntry(9, B(2, N0), Batch3),
        });
        yield return new Accept(N0, B(4, N0), 12, Batch3, 10);
        yield return new Accept(N0, B(4, N0), 13, Value.NoOp, 0);
        yield return new Accepted(N2, B(4, N0), 12, Batch1);
        yield return new Nack(N1, B(1, N0), B(2, N2), null, 0);
        yield return new Nack(N1, B(1, N0), B(2, N2), 0, 3);
        yield return new Nack(N1, Ballot.Zero, B(2, N2), ulong.MaxValue, ulong.MaxValue);
        yield return new Chosen(N0, 44, Batch3);
        yield return new Heartbeat(N0, B(9, N0), 100);
        yield return new LearnerStatus(N2, 101, 140);
        yield return new CatchUpRequest(N2, 7);
        yield return new CatchUpReply(N1, null, Array.Empty<LogEntry>(), 0);
        yield return new CatchUpReply(N1, new Snapshot(64, new byte[] { 1, 2, 3, 4 }), new[] { new LogEntry(64, Batch1), new LogEntry(65, Value.NoOp) }, 66);
        yield return new CatchUpReply(N1, new Snapshot(0, Array.Empty<byte>()), new[] { new LogEntry(0, Batch3) }, 1);
        yield return new Submit(N0, Array.Empty<Command>());
        yield return new Submit(N2, new[] { Cmd("carol", 3, 9, 9), Cmd("dave", 1) }, Hops: 2);
        yield return new Submit(N2, new[] { Cmd("erin", 5) }, Hops: -1);
    }

    public static TheoryData<Message> Messages()
    {
        var data = new TheoryData<Message>();
        foreach (var m in SampleMessages()) data.Add(m);
        return data;
    }

    private static AcceptorState SampleState() =>
        new(B(7, N1), 3, new[]
        {
            new AcceptedEntry(3, B(5, N0), Batch1),
            new AcceptedEntry(4, B(7, N1), Value.NoOp),
            new AcceptedEntry(ulong.MaxValue, B(6, N2), Batch3),
        }.ToImmutableSortedDictionary(e => e.Slot, e => e));

    private static LogEntry[] SampleLog() =>
        new[] { new LogEntry(10, Batch1), new LogEntry(11, Value.NoOp), new LogEntry(12, Batch3) };

    /// <summary>Every valid encoding the tests know: all sample messages and stored records.</summary>
    private static IEnumerable<(string Kind, byte[] Bytes)> ValidEncodings()
    {
        foreach (var m in SampleMessages()) yield return ("message", WireCodec.EncodeMessage(m));
        yield return ("state", WireCodec.EncodeAcceptorState(SampleState()));
        yield return ("state", WireCodec.EncodeAcceptorState(AcceptorState.Initial));
        yield return ("log", WireCodec.EncodeLogEntries(SampleLog()));
        yield return ("log", WireCodec.EncodeLogEntries(Array.Empty<LogEntry>()));
        yield return ("command", WireCodec.EncodeCommand(Cmd("zoe", 42, 1, 2)));
        yield return ("value", WireCodec.EncodeValue(Batch3));
        yield return ("value", WireCodec.EncodeValue(Value.NoOp));
    }

    private static object Decode(string kind, ReadOnlySpan<byte> bytes) => kind switch
    {
        "message" => WireCodec.DecodeMessage(bytes),
        "state" => WireCodec.DecodeAcceptorState(bytes),
        "log" => WireCodec.DecodeLogEntries(bytes),
        "command" => WireCodec.DecodeCommand(bytes),
        "value" => WireCodec.DecodeValue(bytes),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static readonly string[] Kinds = { "message", "state", "log", "command", "value" };

    // ---------------------------------------------------------------- round trips

    [Theory]
    [MemberData(nameof(Messages))]
    public void EveryMessageType_RoundTrips_ToAnEqualMessage(Message message)
    {
        var decoded = WireCodec.DecodeMessage(WireCodec.EncodeMessage(message));

        WireAssert.MessagesEqual(message, decoded);
    }

    [Fact]
    public void SampleMessages_CoverEveryConcreteMessageType()
    {
        var concrete = typeof(Message).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(Message)) && !t.IsAbstract)
            .ToHashSet();
        var covered = SampleMessages().Select(m => m.GetType()).ToHashSet();

        Assert.Equal(11, concrete.Count);
        Assert.Subset(covered, concrete);
        Assert.Subset(concrete, covered);
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Encoding_IsDeterministic(Message message)
    {
        var first = WireCodec.EncodeMessage(message);
        var again = WireCodec.EncodeMessage(message);
        var ofDecoded = WireCodec.EncodeMessage(WireCodec.DecodeMessage(first));

        Assert.Equal(first, again);
        Assert.Equal(first, ofDecoded);
    }

    [Fact]
    public void EqualObjectsBuiltSeparately_EncodeToTheSameBytes()
    {
        static Accept Build() => new(N0, B(4, N0), 12, Value.Batch(new[] { Cmd("x", 1, 5, 6) }), 3);
        static AcceptorState BuildState() => new(B(2, N1), 1, ImmutableSortedDictionary<ulong, AcceptedEntry>.Empty
            .Add(5, new AcceptedEntry(5, B(2, N1), Value.NoOp))
            .Add(2, new AcceptedEntry(2, B(1, N0), Value.Batch(new[] { Cmd("y", 2) }))));

        Assert.Equal(WireCodec.EncodeMessage(Build()), WireCodec.EncodeMessage(Build()));
        Assert.Equal(WireCodec.EncodeAcceptorState(BuildState()), WireCodec.EncodeAcceptorState(BuildState()));
    }

    [Fact]
    public void Prepare_HasTheDocumentedLayout()
    {
        var bytes = WireCodec.EncodeMessage(new Prepare(new NodeId(2), B(0x0102030405060708, new NodeId(3)), 9));

        byte[] expected =
        {
            1, 1,                                   // version, tag
            2, 0, 0, 0,                             // From
            8, 7, 6, 5, 4, 3, 2, 1, 3, 0, 0, 0,     // Ballot (round LE, node LE)
            9, 0, 0, 0, 0, 0, 0, 0,                 // FromSlot
        };
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void AcceptorState_RoundTrips_WithVotesKeyedBySlot()
    {
        var state = SampleState();

        var decoded = WireCodec.DecodeAcceptorState(WireCodec.EncodeAcceptorState(state));

        Assert.Equal(state.Promised, decoded.Promised);
        Assert.Equal(state.TruncatedBelow, decoded.TruncatedBelow);
        Assert.Equal(state.Accepted.Keys, decoded.Accepted.Keys);
        foreach (var (slot, entry) in state.Accepted)
        {
            WireAssert.AcceptedEntriesEqual(entry, decoded.Accepted[slot]);
        }

        Assert.Equal(WireCodec.EncodeAcceptorState(state), WireCodec.EncodeAcceptorState(decoded));
    }

    [Fact]
    public void InitialAcceptorState_RoundTrips()
    {
        var decoded = WireCodec.DecodeAcceptorState(WireCodec.EncodeAcceptorState(AcceptorState.Initial));

        Assert.Equal(Ballot.Zero, decoded.Promised);
        Assert.Equal(0UL, decoded.TruncatedBelow);
        Assert.Empty(decoded.Accepted);
    }

    [Fact]
    public void AcceptorState_WithAVoteUnderAForeignKey_IsRefusedByTheEncoder()
    {
        var state = new AcceptorState(B(1, N0), 0, ImmutableSortedDictionary<ulong, AcceptedEntry>.Empty
            .Add(3, new AcceptedEntry(4, B(1, N0), Value.NoOp)));

        Assert.Throws<ArgumentException>(() => WireCodec.EncodeAcceptorState(state));
    }

    [Fact]
    public void AcceptorState_WithVotesOutOfOrderOrDuplicated_IsRejectedByTheDecoder()
    {
        var encoded = WireCodec.EncodeAcceptorState(new AcceptorState(B(1, N0), 0, ImmutableSortedDictionary<ulong, AcceptedEntry>.Empty
            .Add(3, new AcceptedEntry(3, B(1, N0), Value.NoOp))
            .Add(4, new AcceptedEntry(4, B(1, N0), Value.NoOp))));
        // Votes start after version (1), ballot (12), truncated-below (8), count (4); each no-op vote is 21 bytes.
        const int firstSlot = 1 + 12 + 8 + 4;
        const int secondSlot = firstSlot + 21;

        var duplicated = (byte[])encoded.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(duplicated.AsSpan(secondSlot), 3);
        var descending = (byte[])encoded.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(descending.AsSpan(secondSlot), 2);

        Assert.Contains("out of order", Assert.Throws<WireFormatException>(() => WireCodec.DecodeAcceptorState(duplicated)).Message, StringComparison.Ordinal);
        Assert.Contains("out of order", Assert.Throws<WireFormatException>(() => WireCodec.DecodeAcceptorState(descending)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LogEntries_RoundTrip_InOrder()
    {
        var log = SampleLog();

        var decoded = WireCodec.DecodeLogEntries(WireCodec.EncodeLogEntries(log));

        Assert.Equal(log.Length, decoded.Count);
        for (int i = 0; i < log.Length; i++)
        {
            WireAssert.LogEntriesEqual(log[i], decoded[i]);
        }

        Assert.Empty(WireCodec.DecodeLogEntries(WireCodec.EncodeLogEntries(Array.Empty<LogEntry>())));
    }

    [Fact]
    public void Command_RoundTrips_IncludingUnicodeAndEmptyFields()
    {
        foreach (var command in Batch3.Commands.Append(Cmd("alice", 1, 1, 2, 3)))
        {
            var decoded = WireCodec.DecodeCommand(WireCodec.EncodeCommand(command));

            Assert.Equal(command, decoded);
            Assert.Equal(command.ClientId, decoded.ClientId);
            Assert.Equal(command.Payload, decoded.Payload);
        }
    }

    [Fact]
    public void Value_RoundTrips_AndNoOpDecodesToTheNoOpSingleton()
    {
        Assert.Equal(Batch1, WireCodec.DecodeValue(WireCodec.EncodeValue(Batch1)));
        Assert.Equal(Batch3, WireCodec.DecodeValue(WireCodec.EncodeValue(Batch3)));
        Assert.Same(Value.NoOp, WireCodec.DecodeValue(WireCodec.EncodeValue(Value.NoOp)));
        Assert.Equal(new byte[] { 1, 0 }, WireCodec.EncodeValue(Value.NoOp));
    }

    // ---------------------------------------------------------------- hostile input

    [Fact]
    public void TruncatedInput_AtEveryLength_IsRejectedWithWireFormatException()
    {
        foreach (var (kind, bytes) in ValidEncodings())
        {
            for (int length = 0; length < bytes.Length; length++)
            {
                var ex = Assert.Throws<WireFormatException>(() => Decode(kind, bytes.AsSpan(0, length)));
                Assert.False(string.IsNullOrWhiteSpace(ex.Message));
            }
        }
    }

    [Fact]
    public void TruncatedAccept_SaysWhatWasMissing()
    {
        var bytes = WireCodec.EncodeMessage(new Accept(N0, B(1, N0), 5, Value.NoOp, 0));
        // version, tag, From (4), Ballot (12), then 3 of Slot's 8 bytes.
        int cut = 1 + 1 + 4 + 12 + 3;

        var ex = Assert.Throws<WireFormatException>(() => WireCodec.DecodeMessage(bytes.AsSpan(0, cut)));

        Assert.Equal("truncated Accept: needed 8 bytes for Slot, 3 left", ex.Message);
    }

    [Fact]
    public void TrailingBytes_AreRejected()
    {
        foreach (var (kind, bytes) in ValidEncodings())
        {
            var longer = bytes.Append((byte)0).ToArray();

            var ex = Assert.Throws<WireFormatException>(() => Decode(kind, longer));
            Assert.StartsWith("trailing bytes after ", ex.Message, StringComparison.Ordinal);
        }

        var prepare = WireCodec.EncodeMessage(new Prepare(N0, B(1, N0), 0)).Append((byte)7).ToArray();
        Assert.StartsWith("trailing bytes after Prepare", Assert.Throws<WireFormatException>(() => WireCodec.DecodeMessage(prepare)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownTag_And_UnknownVersion_AreRejected()
    {
        var valid = WireCodec.EncodeMessage(new Prepare(N0, B(1, N0), 0));

        var unknownTag = (byte[])valid.Clone();
        unknownTag[1] = 0x7f;
        var zeroTag = (byte[])valid.Clone();
        zeroTag[1] = 0;
        var version9 = (byte[])valid.Clone();
        version9[0] = 9;

        Assert.Equal("unknown message tag 0x7f", Assert.Throws<WireFormatException>(() => WireCodec.DecodeMessage(unknownTag)).Message);
        Assert.Equal("unknown message tag 0x00", Assert.Throws<WireFormatException>(() => WireCodec.DecodeMessage(zeroTag)).Message);
        Assert.Equal("unsupported wire format version 9", Assert.Throws<WireFormatException>(() => WireCodec.DecodeMessage(version9)).Message);
        foreach (var kind in Kinds)
        {
            Assert.Equal("unsupported wire format version 0", Assert.Throws<WireFormatException>(() => Decode(kind, new byte[] { 0, 1, 0, 0, 0 })).Message);
        }
    }

    [Fact]
    public void HugeCountPrefix_IsRejected_WithoutAllocating()
    {
        // Submit from n0 claiming 2^31 - 1 commands, followed by a few bytes.
        var submit = new byte[] { 1, 11, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3 };
        // Log entries claiming int.MaxValue entries; acceptor state claiming int.MaxValue votes.
        var log = new byte[] { 1, 0xff, 0xff, 0xff, 0x7f, 0 };
        var state = new byte[1 + 12 + 8 + 4];
        state[0] = 1;
        BinaryPrimitives.WriteInt32LittleEndian(state.AsSpan(21), int.MaxValue);
        // A command whose client-id length claims 2 GiB.
        var command = new byte[] { 1, 0xff, 0xff, 0xff, 0x7f, 0x41 };

        WireCodec.DecodeValue(WireCodec.EncodeValue(Batch1)); // warm up the JIT so it does not count as allocation
        Assert.Throws<WireFormatException>(() => WireCodec.DecodeMessage(submit));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var errors = new[]
        {
            Assert.Throws<WireFormatException>(() => WireCodec.DecodeMessage(submit)),
            Assert.Throws<WireFormatException>(() => WireCodec.DecodeLogEntries(log)),
            Assert.Throws<WireFormatException>(() => WireCodec.DecodeAcceptorState(state)),
            Assert.Throws<WireFormatException>(() => WireCodec.DecodeCommand(command)),
        };
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 256 * 1024, $"decoding hostile counts allocated {allocated} bytes");
        Assert.All(errors, e => Assert.Contains("2147483647", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void NegativeLengthsAndCounts_AreRejected()
    {
        var negativeCount = new byte[] { 1, 11, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
        var negativeLength = new byte[] { 1, 0xfe, 0xff, 0xff, 0xff };

        Assert.Contains("negative", Assert.Throws<WireFormatException>(() => WireCodec.DecodeMessage(negativeCount)).Message, StringComparison.Ordinal);
        Assert.Contains("negative", Assert.Throws<WireFormatException>(() => WireCodec.DecodeCommand(negativeLength)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidUtf8_IsRejected()
    {
        var bytes = WireCodec.EncodeCommand(Cmd("ab", 1));
        bytes[5] = 0xc3; // a lead byte followed by 'b' (not a continuation byte)
        var lone = WireCodec.EncodeCommand(Cmd("ab", 1));
        lone[6] = 0xff;

        Assert.Contains("UTF-8", Assert.Throws<WireFormatException>(() => WireCodec.DecodeCommand(bytes)).Message, StringComparison.Ordinal);
        Assert.Contains("UTF-8", Assert.Throws<WireFormatException>(() => WireCodec.DecodeCommand(lone)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonCanonicalFlags_And_EmptyBatches_AreRejected()
    {
        var presence = WireCodec.EncodeMessage(new Nack(N1, B(1, N0), B(2, N0), null, 0));
        presence[1 + 1 + 4 + 12 + 12] = 2;
        var valueFlag = WireCodec.EncodeValue(Value.NoOp);
        valueFlag[1] = 5;
        var emptyBatch = new byte[] { 1, 1, 0, 0, 0, 0 };

        Assert.Throws<WireFormatException>(() => WireCodec.DecodeMessage(presence));
        Assert.Contains("Value flag", Assert.Throws<WireFormatException>(() => WireCodec.DecodeValue(valueFlag)).Message, StringComparison.Ordinal);
        Assert.Contains("empty batch", Assert.Throws<WireFormatException>(() => WireCodec.DecodeValue(emptyBatch)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RandomBytes_AreRejectedWithWireFormatException_NeverAnotherException()
    {
        var random = new Random(20240611);
        var valid = ValidEncodings().ToList();
        int decodedCount = 0;
        int rejectedCount = 0;

        void Probe(string kind, byte[] bytes)
        {
            try
            {
                Decode(kind, bytes);
                decodedCount++;
            }
            catch (WireFormatException)
            {
                rejectedCount++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"decoding {kind} [{Convert.ToHexString(bytes)}] threw {ex.GetType().Name}: {ex.Message}");
            }
        }

        // Random buffers, mostly with a valid version byte and (for messages) a known tag so the reader gets past the header.
        for (int i = 0; i < 4000; i++)
        {
            var bytes = new byte[random.Next(0, 96)];
            random.NextBytes(bytes);
            if (bytes.Length > 0 && random.Next(4) != 0) bytes[0] = WireCodec.FormatVersion;
            if (bytes.Length > 1 && random.Next(4) != 0) bytes[1] = (byte)random.Next(0, 13);
            foreach (var kind in Kinds) Probe(kind, bytes);
        }

        // Single-byte mutations of valid encodings: every position, random new values (and small ones, which hit counts and flags).
        foreach (var (kind, bytes) in valid)
        {
            for (int position = 0; position < bytes.Length; position++)
            {
                for (int k = 0; k < 6; k++)
                {
                    var mutated = (byte[])bytes.Clone();
                    mutated[position] = k < 3 ? (byte)random.Next(256) : (byte)(k - 3);
                    Probe(kind, mutated);
                }
            }
        }

        // Multi-byte mutations: overwrite random 4-byte windows (length and count prefixes) with extremes.
        int[] extremes = { int.MaxValue, int.MinValue, -1, 0, 1, 0x10000 };
        for (int i = 0; i < 4000; i++)
        {
            var (kind, bytes) = valid[random.Next(valid.Count)];
            if (bytes.Length < 4) continue;
            var mutated = (byte[])bytes.Clone();
            BinaryPrimitives.WriteInt32LittleEndian(mutated.AsSpan(random.Next(mutated.Length - 3)), extremes[random.Next(extremes.Length)]);
            Probe(kind, mutated);
        }

        Assert.True(rejectedCount > 10_000, $"only {rejectedCount} inputs rejected");
        Assert.True(decodedCount > 0, "no mutation decoded; the fuzz exercises only the error paths");
    }

    // ---------------------------------------------------------------- size cap

    [Fact]
    public void MessagesAboveTheCap_AreRefusedByTheEncoder_AndRejectedByTheDecoder()
    {
        var big = new Submit(N0, new[] { Cmd("big", 1, new byte[WireCodec.MaxMessageBytes]) });
        var oversized = new byte[WireCodec.MaxMessageBytes + 1];
        oversized[0] = WireCodec.FormatVersion;
        oversized[1] = 1;

        Assert.Throws<ArgumentException>(() => WireCodec.EncodeMessage(big));
        Assert.Contains("exceeds", Assert.Throws<WireFormatException>(() => WireCodec.DecodeMessage(oversized)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MessageJustUnderTheCap_RoundTrips()
    {
        // version, tag, From, count, ClientId length + "c", RequestId, Payload length, Hops.
        int overhead = 1 + 1 + 4 + 4 + 4 + 1 + 8 + 4 + 4;
        var payload = new byte[WireCodec.MaxMessageBytes - overhead];
        payload[^1] = 0xab;
        var submit = new Submit(N0, new[] { Cmd("c", 1, payload) });

        var bytes = WireCodec.EncodeMessage(submit);
        var decoded = WireCodec.DecodeMessage(bytes);

        Assert.Equal(WireCodec.MaxMessageBytes, bytes.Length);
        WireAssert.MessagesEqual(submit, decoded);
    }

    // ---------------------------------------------------------------- encoder argument checks

    [Fact]
    public void UnencodableArguments_AreRefusedWithArgumentExceptions()
    {
        Assert.Throws<ArgumentNullException>(() => WireCodec.EncodeMessage(null!));
        Assert.Throws<ArgumentException>(() => WireCodec.EncodeMessage(new Promise(N0, B(1, N0), 0, null!)));
        Assert.Throws<ArgumentException>(() => WireCodec.EncodeMessage(new ForeignMessage(N0)));
        // A lone surrogate has no UTF-8 encoding.
        Assert.Throws<ArgumentException>(() => WireCodec.EncodeCommand(Cmd("bad\ud800", 1)));
    }

    private sealed record ForeignMessage(NodeId From) : Message(From);
}

/// <summary>Field-by-field comparison: core records hold lists, which records compare by reference.</summary>
internal static class WireAssert
{
    public static void MessagesEqual(Message expected, Message actual)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        Assert.Equal(expected.From, actual.From);
        switch (expected)
        {
            case Prepare e:
            {
                var a = (Prepare)actual;
                Assert.Equal(e.Ballot, a.Ballot);
                Assert.Equal(e.FromSlot, a.FromSlot);
                break;
            }

            case Promise e:
            {
                var a = (Promise)actual;
                Assert.Equal(e.Ballot, a.Ballot);
                Assert.Equal(e.TruncatedBelow, a.TruncatedBelow);
                Assert.Equal(e.Accepted.Count, a.Accepted.Count);
                for (int i = 0; i < e.Accepted.Count; i++) AcceptedEntriesEqual(e.Accepted[i], a.Accepted[i]);
                break;
            }

            case Accept e:
            {
                var a = (Accept)actual;
                Assert.Equal(e.Ballot, a.Ballot);
                Assert.Equal(e.Slot, a.Slot);
                Assert.Equal(e.Value, a.Value);
                Assert.Equal(e.TruncateBelow, a.TruncateBelow);
                break;
            }

            case Accepted e:
            {
                var a = (Accepted)actual;
                Assert.Equal(e.Ballot, a.Ballot);
                Assert.Equal(e.Slot, a.Slot);
                Assert.Equal(e.Value, a.Value);
                break;
            }

            case Nack e:
            {
                var a = (Nack)actual;
                Assert.Equal(e.Rejected, a.Rejected);
                Assert.Equal(e.Promised, a.Promised);
                Assert.Equal(e.Slot, a.Slot);
                Assert.Equal(e.TruncatedBelow, a.TruncatedBelow);
                break;
            }

            case Chosen e:
            {
                var a = (Chosen)actual;
                Assert.Equal(e.Slot, a.Slot);
                Assert.Equal(e.Value, a.Value);
                break;
            }

            case Heartbeat e:
                Assert.Equal(e, actual); // no list members: record equality is by content
                break;
            case LearnerStatus e:
                Assert.Equal(e, actual);
                break;
            case CatchUpRequest e:
                Assert.Equal(e, actual);
                break;
            case CatchUpReply e:
            {
                var a = (CatchUpReply)actual;
                Assert.Equal(e.NextSlot, a.NextSlot);
                Assert.Equal(e.Snapshot is null, a.Snapshot is null);
                if (e.Snapshot is not null)
                {
                    Assert.Equal(e.Snapshot.NextSlot, a.Snapshot!.NextSlot);
                    Assert.Equal(e.Snapshot.Data, a.Snapshot.Data);
                }

                Assert.Equal(e.Entries.Count, a.Entries.Count);
                for (int i = 0; i < e.Entries.Count; i++) LogEntriesEqual(e.Entries[i], a.Entries[i]);
                break;
            }

            case Submit e:
            {
                var a = (Submit)actual;
                Assert.Equal(e.Hops, a.Hops);
                Assert.Equal(e.Commands, a.Commands); // Command has content equality
                break;
            }

            default:
                Assert.Fail($"no comparer for {expected.GetType().Name}");
                break;
        }
    }

    public static void AcceptedEntriesEqual(AcceptedEntry expected, AcceptedEntry actual)
    {
        Assert.Equal(expected.Slot, actual.Slot);
        Assert.Equal(expected.Ballot, actual.Ballot);
        Assert.Equal(expected.Value, actual.Value);
    }

    public static void LogEntriesEqual(LogEntry expected, LogEntry actual)
    {
        Assert.Equal(expected.Slot, actual.Slot);
        Assert.Equal(expected.Value, actual.Value);
    }
}
