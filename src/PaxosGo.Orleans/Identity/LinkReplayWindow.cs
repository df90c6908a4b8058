namespace PaxosGo.Orleans.Identity;

/// <summary>
/// Refuses a <see cref="LinkBatch"/> received twice on one link (sender to this node): the sender
/// numbers its batches from 1 within each incarnation, and this window (as IPsec's anti-replay
/// window) accepts each number once, the highest seen and the <see cref="Width"/> below it, and
/// refuses anything older, and every batch of an earlier incarnation once a later one was seen.
/// Batches overtake each other (a node's grains flush their links concurrently), so the window is
/// wide; one that arrives more than <see cref="Width"/> batches late is refused too: it is lost, and
/// Paxos resends what matters. The window lives as long as the receiving process; after a restart
/// a batch from before it could be accepted once, which the protocol tolerates (every protocol
/// message is safe to receive twice, as the simulator's adversary checks). Not thread-safe: one
/// per link, used by one grain.
/// </summary>
public sealed class LinkReplayWindow
{
    /// <summary>How many numbers below the highest are still accepted once.</summary>
    public const int Width = 4096;

    private long _incarnation = long.MinValue;
    private ulong _highest;
    private readonly ulong[] _seen = new ulong[Width / 64]; // bit (n mod Width): batch n, for n in (highest - Width, highest]

    /// <summary>The highest batch number accepted in the newest incarnation heard from (0 before any).</summary>
    public ulong Highest => _highest;

    /// <summary>
    /// Records the batch numbered <paramref name="sequence"/> of <paramref name="incarnation"/>, or
    /// throws <see cref="ProtocolMessageRejectedException"/> (<see cref="RejectionCodes.Replayed"/>)
    /// and records nothing. Call it only for a batch whose signature verified.
    /// </summary>
    public void Admit(long incarnation, ulong sequence, string sender)
    {
        if (sequence == 0)
        {
            throw new ProtocolMessageRejectedException(RejectionCodes.Malformed, $"the link batch from {sender} is numbered 0; batches are numbered from 1");
        }

        if (incarnation < _incarnation)
        {
            throw new ProtocolMessageRejectedException(
                RejectionCodes.Replayed,
                $"the link batch from {sender} belongs to incarnation {incarnation}, older than the {_incarnation} already heard from (a replay, or the sender restarted with its clock set back)");
        }

        if (incarnation > _incarnation)
        {
            _incarnation = incarnation;
            Array.Clear(_seen);
            _highest = sequence;
            Mark(sequence);
            return;
        }

        if (sequence > _highest)
        {
            // Forget the numbers that leave the window (at most all of them).
            if (sequence - _highest >= Width)
            {
                Array.Clear(_seen);
            }
            else
            {
                for (var n = _highest + 1; n < sequence; n++) Clear(n);
            }

            _highest = sequence;
            Mark(sequence);
            return;
        }

        var age = _highest - sequence;
        if (age >= Width)
        {
            throw new ProtocolMessageRejectedException(
                RejectionCodes.Replayed, $"the link batch {sequence} from {sender} is {age} batches older than the newest ({_highest}); the window is {Width}");
        }

        if (IsMarked(sequence))
        {
            throw new ProtocolMessageRejectedException(RejectionCodes.Replayed, $"the link batch {sequence} from {sender} was already received");
        }

        Mark(sequence);
        }

    private void Mark(ulong n) => _seen[(int)(n % Width) / 64] |= 1UL << (int)(n % 64);

    private void Clear(ulong n) => _seen[(int)(n % Width) / 64] &= ~(1UL << (int)(n % 64));

    private bool IsMarked(ulong n) => (_seen[(int)(n % Width) / 64] & (1UL << (int)(n % 64))) != 0;
}
