using PaxosGo.Core;

namespace PaxosGo.Bench;

/// <summary>
/// A whole cluster's engines on one thread with instant, lossless delivery: measures the CPU the
/// protocol itself costs per command (batching, pipelining, learning, applying, snapshots),
/// without storage or network. Persisted states are kept the way a host would keep them.
/// </summary>
internal sealed class CoreThroughput
{
    private readonly NodeId[] _ids;
    private readonly Acceptor[] _acceptors;
    private readonly Proposer[] _proposers;
    private readonly Learner[] _learners;
    private readonly Queue<Envelope> _queue = new();
    private readonly int _clients;
    private long _now;

    public CoreThroughput(int nodes, int clients, int batch, int window)
    {
        _ids = Enumerable.Range(0, nodes).Select(i => new NodeId(i)).ToArray();
        var proposerOptions = new ProposerOptions { MaxBatch = batch, Window = window };
        _acceptors = _ids.Select(id => new Acceptor(id, AcceptorState.Initial)).ToArray();
        _proposers = _ids.Select(id => new Proposer(id, _ids, ProposerState.Initial, new Random(id.Value), proposerOptions)).ToArray();
        _learners = _ids.Select(id => new Learner(id, _ids, new CounterStateMachine(), null, Array.Empty<LogEntry>())).ToArray();
        _clients = clients;
    }

    /// <summary>Commits <paramref name="total"/> commands from closed-loop clients through node 0; returns the slots used.</summary>
    public long Run(int total)
    {
        int submitted = 0, answered = 0;
        var payload = new byte[32];
        for (int c = 0; c < _clients && submitted < total; c++)
        {
            Send(_proposers[0].Submit(new Command($"client-{c}", 1, payload)).Messages);
            submitted++;
        }

        while (answered < total)
        {
            if (_queue.Count == 0)
            {
                _now++;
                foreach (var p in _proposers) Send(p.Tick(_now).Messages);
                foreach (var l in _learners) Send(l.Tick(_now).Messages);
                continue;
            }

            var envelope = _queue.Dequeue();
            int n = envelope.To.Value;
            switch (envelope.Role, envelope.Message)
            {
                case (Role.Acceptor, Prepare m): Send(_acceptors[n].Handle(m).Messages); break;
                case (Role.Acceptor, Accept m): Send(_acceptors[n].Handle(m).Messages); break;
                case (Role.Proposer, Promise m): Send(_proposers[n].Handle(m).Messages); break;
                case (Role.Proposer, Accepted m): Send(_proposers[n].Handle(m).Messages); break;
                case (Role.Proposer, Nack m): Send(_proposers[n].Handle(m).Messages); break;
                case (Role.Proposer, Heartbeat m): Send(_proposers[n].Handle(m).Messages); break;
                case (Role.Proposer, LearnerStatus m): Send(_proposers[n].Handle(m).Messages); break;
                case (Role.Proposer, Submit m): Send(_proposers[n].Handle(m).Messages); break;
                case (Role.Learner, CatchUpRequest m): Send(_learners[n].Handle(m).Messages); break;
                case (Role.Learner, CatchUpReply m): Send(_learners[n].Handle(m).Messages); break;
                case (Role.Learner, Heartbeat m): Send(_learners[n].Handle(m).Messages); break;
                case (Role.Learner, Chosen m):
                    var step = _learners[n].Handle(m);
                    Send(step.Messages);
                    if (n != 0) break;
                    Send(_proposers[0].NoteLearned(_learners[0].NextSlot).Messages);
                    // Node 0 answers its clients; each sends its next command at once.
                    foreach (var applied in step.Applied)
                    {
                        answered++;
                        if (submitted < total)
                        {
                            var next = new Command(applied.Command.ClientId, applied.Command.RequestId + 1, payload);
                            Send(_proposers[0].Submit(next).Messages);
                            submitted++;
                        }
                    }

                    break;
            }
        }

        return (long)_learners[0].NextSlot;
    }

    private void Send(IReadOnlyList<Envelope> messages)
    {
        foreach (var m in messages) _queue.Enqueue(m);
    }
}
