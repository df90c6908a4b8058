using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using PaxosGo.Core;

namespace PaxosGo.Orleans.Wire;

/// <summary>
/// The binary wire format of PaxosGo: core protocol messages between nodes, and acceptor and
/// learner durable state into storage.
/// </summary>
/// <remarks>
/// <para>
/// Every encoding starts with the format version byte (<see cref="FormatVersion"/>); a message
/// then has a one-byte type tag. Integers are little-endian and fixed width; a
/// <see cref="NodeId"/> is an int32; a <see cref="Ballot"/> is (uint64 round, int32 node);
/// strings are UTF-8 and byte arrays are raw, both after an int32 byte length; lists are
/// int32-count-prefixed; optional fields have a presence byte (0 or 1); a <see cref="Value"/> is
/// a flag byte (0 no-op, 1 batch) and, for a batch, its count-prefixed commands; a
/// <see cref="Command"/> is (client id, uint64 request id, payload).
/// </para>
/// <para>
/// Encoding is deterministic: equal objects encode to the same bytes. Decoding accepts only
/// canonical encodings and throws <see cref="WireFormatException"/>, and nothing else, for any
/// other input: every length and count is checked against the bytes left before anything is
/// allocated, and trailing bytes are rejected.
/// </para>
/// </remarks>
public static class WireCodec
{
    /// <summary>The format version this codec writes and the only one it reads.</summary>
    public const byte FormatVersion = 1;

    /// <summary>The largest encoded message, in bytes, that <see cref="EncodeMessage"/> produces and <see cref="DecodeMessage"/> accepts.</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    private const byte TagPrepare = 1;
    private const byte TagPromise = 2;
    private const byte TagAccept = 3;
    private const byte TagAccepted = 4;
    private const byte TagNack = 5;
    private const byte TagChosen = 6;
    private const byte TagHeartbeat = 7;
    private const byte TagLearnerStatus = 8;
    private const byte TagCatchUpRequest = 9;
    private const byte TagCatchUpReply = 10;
    private const byte TagSubmit = 11;

    private const byte ValueNoOp = 0;
    private const byte ValueBatch = 1;

    // Smallest encodings, used to bound counts by the bytes left before allocating.
    private const int BallotBytes = 12;
    private const int MinCommandBytes = 4 + 8 + 4;
    private const int MinValueBytes = 1;
    private const int MinAcceptedEntryBytes = 8 + BallotBytes + MinValueBytes;
    private const int MinLogEntryBytes = 8 + MinValueBytes;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // ------------------------------------------------------------------ messages

    /// <summary>Encodes a protocol message: version byte, type tag, then its fields in declaration order.</summary>
    /// <param name="message">Any of the concrete messages of <c>PaxosGo.Core</c>.</param>
    /// <returns>The encoding, at most <see cref="MaxMessageBytes"/> long.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The message is of a type the format does not know, has a null member, has a string that is
    /// not valid UTF-16, or encodes to more than <see cref="MaxMessageBytes"/>.
    /// </exception>
    public static byte[] EncodeMessage(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var w = new WireWriter(MaxMessageBytes, message.GetType().Name);
        w.WriteByte(FormatVersion);
        switch (message)
        {
            case Prepare m:
                w.WriteByte(TagPrepare);
                w.WriteNode(m.From);
                w.WriteBallot(m.Ballot);
                w.WriteUInt64(m.FromSlot);
                break;
            case Promise m:
                w.WriteByte(TagPromise);
                w.WriteNode(m.From);
                w.WriteBallot(m.Ballot);
                w.WriteUInt64(m.TruncatedBelow);
                var accepted = NotNull(m.Accepted, "Promise.Accepted");
                w.WriteCount(accepted.Count);
                foreach (var entry in accepted)
                {
                    WriteAcceptedEntry(ref w, NotNull(entry, "Promise.Accepted entry"));
                }

                break;
            case Accept m:
                w.WriteByte(TagAccept);
                w.WriteNode(m.From);
                w.WriteBallot(m.Ballot);
                w.WriteUInt64(m.Slot);
                WriteValue(ref w, m.Value);
                w.WriteUInt64(m.TruncateBelow);
                break;
            case Accepted m:
                w.WriteByte(TagAccepted);
                w.WriteNode(m.From);
                w.WriteBallot(m.Ballot);
                w.WriteUInt64(m.Slot);
                WriteValue(ref w, m.Value);
                break;
            case Nack m:
                w.WriteByte(TagNack);
                w.WriteNode(m.From);
                w.WriteBallot(m.Rejected);
                w.WriteBallot(m.Promised);
                if (m.Slot is { } slot)
                {
                    w.WriteByte(1);
                    w.WriteUInt64(slot);
                }
                else
                {
                    w.WriteByte(0);
                }

                w.WriteUInt64(m.TruncatedBelow);
                break;
            case Chosen m:
                w.WriteByte(TagChosen);
                w.WriteNode(m.From);
                w.WriteUInt64(m.Slot);
                WriteValue(ref w, m.Value);
                break;
            case Heartbeat m:
                w.WriteByte(TagHeartbeat);
                w.WriteNode(m.From);
                w.WriteBallot(m.Ballot);
                w.WriteUInt64(m.ChosenBelow);
                break;
            case LearnerStatus m:
                w.WriteByte(TagLearnerStatus);
                w.WriteNode(m.From);
                w.WriteUInt64(m.DurableBelow);
                w.WriteUInt64(m.AppliedBelow);
                break;
            case CatchUpRequest m:
                w.WriteByte(TagCatchUpRequest);
                w.WriteNode(m.From);
                w.WriteUInt64(m.FromSlot);
                break;
            case CatchUpReply m:
                w.WriteByte(TagCatchUpReply);
                w.WriteNode(m.From);
                if (m.Snapshot is { } snapshot)
                {
                    w.WriteByte(1);
                    w.WriteUInt64(snapshot.NextSlot);
                    w.WriteBytes(NotNull(snapshot.Data, "CatchUpReply.Snapshot.Data"));
                }
                else
                {
                    w.WriteByte(0);
                }

                WriteLogEntryList(ref w, NotNull(m.Entries, "CatchUpReply.Entries"));
                w.WriteUInt64(m.NextSlot);
                break;
            case Submit m:
                w.WriteByte(TagSubmit);
                w.WriteNode(m.From);
                var commands = NotNull(m.Commands, "Submit.Commands");
                w.WriteCount(commands.Count);
                foreach (var command in commands)
                {
                    WriteCommand(ref w, command);
                }

                w.WriteInt32(m.Hops);
                break;
            default:
                throw new ArgumentException($"The wire format has no encoding for message type {message.GetType().FullName}.", nameof(message));
        }

        return w.ToArray();
    }

    /// <summary>Decodes a message written by <see cref="EncodeMessage"/>.</summary>
    /// <param name="data">The whole encoding, with nothing after it.</param>
    /// <returns>The message.</returns>
    /// <exception cref="WireFormatException">
    /// The bytes are not a valid encoding of one message, or are longer than <see cref="MaxMessageBytes"/>.
    /// </exception>
    public static Message DecodeMessage(ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxMessageBytes)
        {
            throw new WireFormatException($"message of {data.Length} bytes exceeds the limit of {MaxMessageBytes} bytes");
        }

        var r = new WireReader(data, "message");
        r.ReadVersion();
        byte tag = r.ReadByte("message tag");
        Message message;
        switch (tag)
        {
            case TagPrepare:
                r.Context = nameof(Prepare);
                message = new Prepare(r.ReadNode("From"), r.ReadBallot("Ballot"), r.ReadUInt64("FromSlot"));
                break;
            case TagPromise:
            {
                r.Context = nameof(Promise);
                var from = r.ReadNode("From");
                var ballot = r.ReadBallot("Ballot");
                ulong truncatedBelow = r.ReadUInt64("TruncatedBelow");
                int count = r.ReadCount("Accepted count", MinAcceptedEntryBytes);
                var entries = new AcceptedEntry[count];
                for (int i = 0; i < count; i++)
                {
                    entries[i] = ReadAcceptedEntry(ref r);
                }

                message = new Promise(from, ballot, truncatedBelow, entries);
                break;
            }

            case TagAccept:
                r.Context = nameof(Accept);
                message = new Accept(r.ReadNode("From"), r.ReadBallot("Ballot"), r.ReadUInt64("Slot"), ReadValue(ref r), r.ReadUInt64("TruncateBelow"));
                break;
            case TagAccepted:
                r.Context = nameof(Accepted);
                message = new Accepted(r.ReadNode("From"), r.ReadBallot("Ballot"), r.ReadUInt64("Slot"), ReadValue(ref r));
                break;
            case TagNack:
            {
                r.Context = nameof(Nack);
                var from = r.ReadNode("From");
                var rejected = r.ReadBallot("Rejected");
                var promised = r.ReadBallot("Promised");
                ulong? slot = r.ReadPresence("Slot presence") ? r.ReadUInt64("Slot") : null;
                message = new Nack(from, rejected, promised, slot, r.ReadUInt64("TruncatedBelow"));
                break;
            }

            case TagChosen:
                r.Context = nameof(Chosen);
                message = new Chosen(r.ReadNode("From"), r.ReadUInt64("Slot"), ReadValue(ref r));
                break;
            case TagHeartbeat:
                r.Context = nameof(Heartbeat);
                message = new Heartbeat(r.ReadNode("From"), r.ReadBallot("Ballot"), r.ReadUInt64("ChosenBelow"));
                break;
            case TagLearnerStatus:
                r.Context = nameof(LearnerStatus);
                message = new LearnerStatus(r.ReadNode("From"), r.ReadUInt64("DurableBelow"), r.ReadUInt64("AppliedBelow"));
                break;
            case TagCatchUpRequest:
                r.Context = nameof(CatchUpRequest);
                message = new CatchUpRequest(r.ReadNode("From"), r.ReadUInt64("FromSlot"));
                break;
            case TagCatchUpReply:
            {
                r.Context = nameof(CatchUpReply);
                var from = r.ReadNode("From");
                Snapshot? snapshot = null;
                if (r.ReadPresence("Snapshot presence"))
                {
                    ulong snapshotNext = r.ReadUInt64("Snapshot.NextSlot");
                    snapshot = new Snapshot(snapshotNext, r.ReadBytes("Snapshot.Data length", "Snapshot.Data"));
                }

                var entries = ReadLogEntryList(ref r);
                message = new CatchUpReply(from, snapshot, entries, r.ReadUInt64("NextSlot"));
                break;
            }

            case TagSubmit:
            {
                r.Context = nameof(Submit);
                var from = r.ReadNode("From");
                int count = r.ReadCount("Commands count", MinCommandBytes);
                var commands = new Command[count];
                for (int i = 0; i < count; i++)
                {
                    commands[i] = ReadCommand(ref r);
                }

                message = new Submit(from, commands, r.ReadInt32("Hops"));
                break;
            }

            default:
                throw new WireFormatException($"unknown message tag 0x{tag:x2}");
        }

        r.EnsureEnd();
        return message;
    }

    // ------------------------------------------------------------------ acceptor state

    /// <summary>
    /// Encodes an acceptor's durable state: version byte, promised ballot, truncated-below slot, and
    /// the votes in ascending slot order, each as (slot, ballot, value).
    /// </summary>
    /// <param name="state">The state; every vote must be stored under its own slot.</param>
    /// <returns>The encoding.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    /// <exception cref="ArgumentException">A vote is stored under a key other than its slot, or a member is null or not encodable.</exception>
    public static byte[] EncodeAcceptorState(AcceptorState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var w = new WireWriter(Array.MaxLength, nameof(AcceptorState));
        w.WriteByte(FormatVersion);
        w.WriteBallot(state.Promised);
        w.WriteUInt64(state.TruncatedBelow);
        var votes = NotNull(state.Accepted, "AcceptorState.Accepted");
        // The format keeps votes in ascending numeric slot order whatever comparer the map uses.
        IEnumerable<KeyValuePair<ulong, AcceptedEntry>> ordered = ReferenceEquals(votes.KeyComparer, Comparer<ulong>.Default)
            ? votes
            : votes.OrderBy(p => p.Key);
        w.WriteCount(votes.Count);
        foreach (var (slot, entry) in ordered)
        {
            NotNull(entry, "AcceptorState.Accepted entry");
            if (entry.Slot != slot)
            {
                throw new ArgumentException($"The vote for slot {entry.Slot} is stored under key {slot}; the wire format keys votes by their slot.", nameof(state));
            }

            WriteAcceptedEntry(ref w, entry);
        }

        return w.ToArray();
    }

    /// <summary>Decodes an acceptor state written by <see cref="EncodeAcceptorState"/>.</summary>
    /// <param name="data">The whole encoding, with nothing after it.</param>
    /// <returns>The state, its votes keyed by slot.</returns>
    /// <exception cref="WireFormatException">The bytes are not a valid encoding (including votes not in strictly ascending slot order).</exception>
    public static AcceptorState DecodeAcceptorState(ReadOnlySpan<byte> data)
    {
        var r = new WireReader(data, nameof(AcceptorState));
        r.ReadVersion();
        var promised = r.ReadBallot("Promised");
        ulong truncatedBelow = r.ReadUInt64("TruncatedBelow");
        int count = r.ReadCount("Accepted count", MinAcceptedEntryBytes);
        var votes = ImmutableSortedDictionary.CreateBuilder<ulong, AcceptedEntry>();
        ulong previous = 0;
        for (int i = 0; i < count; i++)
        {
            var entry = ReadAcceptedEntry(ref r);
            if (i > 0 && entry.Slot <= previous)
            {
                throw new WireFormatException($"AcceptorState votes out of order: slot {entry.Slot} after slot {previous}");
            }

            previous = entry.Slot;
            votes.Add(entry.Slot, entry);
        }

        r.EnsureEnd();
        return new AcceptorState(promised, truncatedBelow, votes.ToImmutable());
    }

    // ------------------------------------------------------------------ log entries

    /// <summary>Encodes learner log entries: version byte, count, then each entry as (slot, value), in list order.</summary>
    /// <param name="entries">The entries.</param>
    /// <returns>The encoding.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="entries"/> is null.</exception>
    /// <exception cref="ArgumentException">An entry or one of its members is null or not encodable.</exception>
    public static byte[] EncodeLogEntries(IReadOnlyList<LogEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var w = new WireWriter(Array.MaxLength, "log entries");
        w.WriteByte(FormatVersion);
        WriteLogEntryList(ref w, entries);
        return w.ToArray();
    }

    /// <summary>Decodes log entries written by <see cref="EncodeLogEntries"/>, in their encoded order.</summary>
    /// <param name="data">The whole encoding, with nothing after it.</param>
    /// <returns>The entries.</returns>
    /// <exception cref="WireFormatException">The bytes are not a valid encoding.</exception>
    public static IReadOnlyList<LogEntry> DecodeLogEntries(ReadOnlySpan<byte> data)
    {
        var r = new WireReader(data, "log entries");
        r.ReadVersion();
        var entries = ReadLogEntryList(ref r);
        r.EnsureEnd();
        return entries;
    }

    // ------------------------------------------------------------------ command and value

    /// <summary>Encodes one command: version byte, then (client id, request id, payload).</summary>
    /// <param name="command">The command.</param>
    /// <returns>The encoding.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> is null.</exception>
    /// <exception cref="ArgumentException">The client id is not valid UTF-16.</exception>
    public static byte[] EncodeCommand(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var w = new WireWriter(Array.MaxLength, nameof(Command));
        w.WriteByte(FormatVersion);
        WriteCommand(ref w, command);
        return w.ToArray();
    }

    /// <summary>Decodes a command written by <see cref="EncodeCommand"/>.</summary>
    /// <param name="data">The whole encoding, with nothing after it.</param>
    /// <returns>The command.</returns>
    /// <exception cref="WireFormatException">The bytes are not a valid encoding.</exception>
    public static Command DecodeCommand(ReadOnlySpan<byte> data)
    {
        var r = new WireReader(data, nameof(Command));
        r.ReadVersion();
        var command = ReadCommand(ref r);
        r.EnsureEnd();
        return command;
    }

    /// <summary>Encodes one slot value: version byte, then the flag byte (0 no-op, 1 batch) and, for a batch, its commands.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The encoding.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="ArgumentException">A command is null or not encodable.</exception>
    public static byte[] EncodeValue(Value value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var w = new WireWriter(Array.MaxLength, nameof(Value));
        w.WriteByte(FormatVersion);
        WriteValue(ref w, value);
        return w.ToArray();
    }

    /// <summary>Decodes a value written by <see cref="EncodeValue"/>; the no-op decodes to <see cref="Value.NoOp"/>.</summary>
    /// <param name="data">The whole encoding, with nothing after it.</param>
    /// <returns>The value.</returns>
    /// <exception cref="WireFormatException">The bytes are not a valid encoding.</exception>
    public static Value DecodeValue(ReadOnlySpan<byte> data)
    {
        var r = new WireReader(data, nameof(Value));
        r.ReadVersion();
        var value = ReadValue(ref r);
        r.EnsureEnd();
        return value;
    }

    // ------------------------------------------------------------------ shared pieces

    private static T NotNull<T>(T? item, string what)
        where T : class =>
        item ?? throw new ArgumentException($"{what} is null; the wire format has no encoding for null there.");

    private static void WriteCommand(ref WireWriter w, Command? command)
    {
        var c = NotNull(command, "Command");
        w.WriteString(NotNull(c.ClientId, "Command.ClientId"));
        w.WriteUInt64(c.RequestId);
        w.WriteBytes(NotNull(c.Payload, "Command.Payload"));
    }

    private static Command ReadCommand(ref WireReader r)
    {
        string clientId = r.ReadString("Command.ClientId length", "Command.ClientId");
        ulong requestId = r.ReadUInt64("Command.RequestId");
        byte[] payload = r.ReadBytes("Command.Payload length", "Command.Payload");
        return new Command(clientId, requestId, payload);
    }

    private static void WriteValue(ref WireWriter w, Value? value)
    {
        var v = NotNull(value, "Value");
        if (v.IsNoOp)
        {
            w.WriteByte(ValueNoOp);
            return;
        }

        var commands = NotNull(v.Commands, "Value.Commands");
        w.WriteByte(ValueBatch);
        w.WriteCount(commands.Count);
        foreach (var command in commands)
        {
            WriteCommand(ref w, command);
        }
    }

    private static Value ReadValue(ref WireReader r)
    {
        byte flag = r.ReadByte("Value flag");
        switch (flag)
        {
            case ValueNoOp:
                return Value.NoOp;
            case ValueBatch:
            {
                int count = r.ReadCount("Value.Commands count", MinCommandBytes);
                if (count == 0)
                {
                    throw new WireFormatException($"empty batch Value in {r.Context}: a batch holds at least one command");
                }

                var commands = new Command[count];
                for (int i = 0; i < count; i++)
                {
                    commands[i] = ReadCommand(ref r);
                }

                return Value.Batch(commands);
            }

            default:
                throw new WireFormatException($"unknown Value flag 0x{flag:x2} in {r.Context}");
        }
    }

    private static void WriteAcceptedEntry(ref WireWriter w, AcceptedEntry entry)
    {
        w.WriteUInt64(entry.Slot);
        w.WriteBallot(entry.Ballot);
        WriteValue(ref w, entry.Value);
    }

    private static AcceptedEntry ReadAcceptedEntry(ref WireReader r)
    {
        ulong slot = r.ReadUInt64("AcceptedEntry.Slot");
        var ballot = r.ReadBallot("AcceptedEntry.Ballot");
        return new AcceptedEntry(slot, ballot, ReadValue(ref r));
    }

    private static void WriteLogEntryList(ref WireWriter w, IReadOnlyList<LogEntry> entries)
    {
        w.WriteCount(entries.Count);
        foreach (var entry in entries)
        {
            NotNull(entry, "LogEntry");
            w.WriteUInt64(entry.Slot);
            WriteValue(ref w, entry.Value);
        }
    }

    private static LogEntry[] ReadLogEntryList(ref WireReader r)
    {
        int count = r.ReadCount("Entries count", MinLogEntryBytes);
        var entries = new LogEntry[count];
        for (int i = 0; i < count; i++)
        {
            ulong slot = r.ReadUInt64("LogEntry.Slot");
            entries[i] = new LogEntry(slot, ReadValue(ref r));
        }

        return entries;
    }

    /// <summary>Appends to a growable buffer, refusing to grow past a limit.</summary>
    private readonly struct WireWriter
    {
        private readonly ArrayBufferWriter<byte> _buffer;
        private readonly int _limit;
        private readonly string _what;

        public WireWriter(int limit, string what)
        {
            _buffer = new ArrayBufferWriter<byte>(256);
            _limit = limit;
            _what = what;
        }

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

        public void WriteByte(byte value)
        {
            Reserve(1)[0] = value;
            _buffer.Advance(1);
        }

        public void WriteInt32(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), value);
            _buffer.Advance(4);
        }

        public void WriteUInt64(ulong value)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), value);
            _buffer.Advance(8);
        }

        public void WriteNode(NodeId node) => WriteInt32(node.Value);

        public void WriteBallot(Ballot ballot)
        {
            WriteUInt64(ballot.Round);
            WriteNode(ballot.Node);
        }

        public void WriteCount(int count) => WriteInt32(count);

        public void WriteBytes(byte[] bytes)
        {
            WriteInt32(bytes.Length);
            bytes.CopyTo(Reserve(bytes.Length));
            _buffer.Advance(bytes.Length);
        }

        public void WriteString(string text)
        {
            int length;
            try
            {
                length = StrictUtf8.GetByteCount(text);
            }
            catch (EncoderFallbackException ex)
            {
                throw new ArgumentException($"A string in {_what} is not valid UTF-16 and has no UTF-8 encoding.", ex);
            }

            WriteInt32(length);
            int written = StrictUtf8.GetBytes(text, Reserve(length));
            _buffer.Advance(written);
        }

        // Returns room for exactly n bytes after checking the limit; the caller advances.
        private Span<byte> Reserve(int n)
        {
            if ((long)_buffer.WrittenCount + n > _limit)
            {
                throw new ArgumentException($"The encoding of {_what} exceeds the limit of {_limit} bytes.");
            }

            return _buffer.GetSpan(n)[..n];
        }
    }

    /// <summary>Reads from a span, checking every read against the bytes left.</summary>
    private ref struct WireReader
    {
        private readonly ReadOnlySpan<byte> _data;
        private int _position;

        public WireReader(ReadOnlySpan<byte> data, string context)
        {
            _data = data;
            _position = 0;
            Context = context;
        }

        /// <summary>What is being decoded, for error messages (a message type or a stored record).</summary>
        public string Context { get; set; }

        private readonly int Remaining => _data.Length - _position;

        public void ReadVersion()
        {
            byte version = ReadByte("format version");
            if (version != FormatVersion)
            {
                throw new WireFormatException($"unsupported wire format version {version}");
            }
        }

        public byte ReadByte(string field) => Take(1, field)[0];

        public bool ReadPresence(string field)
        {
            byte flag = ReadByte(field);
            return flag switch
            {
                0 => false,
                1 => true,
                _ => throw new WireFormatException($"invalid {field} byte 0x{flag:x2} in {Context}: expected 0 or 1"),
            };
        }

        public int ReadInt32(string field) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, field));

        public ulong ReadUInt64(string field) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, field));

        public NodeId ReadNode(string field) => new(ReadInt32(field));

        public Ballot ReadBallot(string field)
        {
            if (Remaining < BallotBytes)
            {
                throw Truncated(BallotBytes, field);
            }

            ulong round = ReadUInt64(field);
            return new Ballot(round, ReadNode(field));
        }

        /// <summary>Reads a count and checks that the bytes left can hold that many elements of at least <paramref name="minElementBytes"/> each.</summary>
        public int ReadCount(string field, int minElementBytes)
        {
            int count = ReadInt32(field);
            if (count < 0)
            {
                throw new WireFormatException($"negative {field} {count} in {Context}");
            }

            long needed = (long)count * minElementBytes;
            if (needed > Remaining)
            {
                throw new WireFormatException($"truncated {Context}: {field} {count} needs at least {needed} bytes, {Remaining} left");
            }

            return count;
        }

        public byte[] ReadBytes(string lengthField, string field) => Take(ReadLength(lengthField, field), field).ToArray();

        public string ReadString(string lengthField, string field)
        {
            var bytes = Take(ReadLength(lengthField, field), field);
            try
            {
                return StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException ex)
            {
                throw new WireFormatException($"invalid UTF-8 in {field} of {Context}", ex);
            }
        }

        public void EnsureEnd()
        {
            if (Remaining != 0)
            {
                throw new WireFormatException($"trailing bytes after {Context}: {Remaining} unread");
            }
        }

        private int ReadLength(string lengthField, string field)
        {
            int length = ReadInt32(lengthField);
            if (length < 0)
            {
                throw new WireFormatException($"negative length {length} for {field} in {Context}");
            }

            if (length > Remaining)
            {
                throw Truncated(length, field);
            }

            return length;
        }

        private ReadOnlySpan<byte> Take(int n, string field)
        {
            if (n > Remaining)
            {
                throw Truncated(n, field);
            }

            var slice = _data.Slice(_position, n);
            _position += n;
            return slice;
        }

        private readonly WireFormatException Truncated(int needed, string field) =>
            new($"truncated {Context}: needed {needed} bytes for {field}, {Remaining} left");
    }
}
