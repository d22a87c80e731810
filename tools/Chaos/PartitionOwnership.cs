using System.Diagnostics;
using PeterRec.Orchestration;

namespace PeterRec.Chaos;

/// <summary>
/// Watches who owns each partition of a role's input topic while the run goes on: every <c>interval</c> it scrapes
/// every live instance's <c>peterrec_kafka_consumer_assigned</c> gauge. It counts the rebalances it sees (the
/// partition-to-instance map changed between two looks; a kill, scale step or restart usually shows as one or two)
/// and, per partition, the longest stretch during which no instance had it assigned: the time that partition's
/// records stood still. Resolution is the scrape interval (plus the scrape itself, under load).
/// </summary>
public sealed class PartitionOwnership(ChaosRoles roles, IReadOnlyDictionary<string, (string Consumer, string Topic)> watched, int partitions, TimeSpan interval)
{
    private readonly Dictionary<string, int> _rebalances = [];
    private readonly Dictionary<string, double> _longest = [];
    private readonly Dictionary<(string Role, int Partition), (Stopwatch Clock, string Cause)> _unowned = [];
    private readonly Dictionary<string, double> _byCause = [];
    private volatile string _cause = "start";
    private readonly Dictionary<string, string> _last = [];

    /// <summary>Per role: assignment changes seen.</summary>
    public IReadOnlyDictionary<string, int> Rebalances { get { lock (_rebalances) return new Dictionary<string, int>(_rebalances); } }

    /// <summary>Per role: the longest time (s) any one partition had no owner.</summary>
    public IReadOnlyDictionary<string, double> LongestUnownedSeconds { get { lock (_rebalances) return new Dictionary<string, double>(_longest); } }

    /// <summary>The longest unowned stretch (s) by what the harness was doing when it began (kill -9, SIGTERM, ...).</summary>
    public IReadOnlyDictionary<string, double> LongestUnownedByCause { get { lock (_rebalances) return new Dictionary<string, double>(_byCause); } }

    /// <summary>Names the fault or scale step now under way; a stretch that starts from here is counted under it.</summary>
    public void Mark(string cause) => _cause = cause;

    public async Task RunAsync(CancellationToken ct)
    {
        foreach (var role in watched.Keys) { _rebalances[role] = 0; _longest[role] = 0; }
        while (!ct.IsCancellationRequested)
        {
            // Stopping (ct) may land in the middle of a scrape: that ends the watch, it is not a failure.
            try
            {
                foreach (var (role, (consumer, topic)) in watched) await LookAsync(role, consumer, topic, ct).ConfigureAwait(false);
                await Task.Delay(interval, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
        }
        lock (_rebalances)
            foreach (var ((role, _), open) in _unowned) Close(role, open);
    }

    private void Close(string role, (Stopwatch Clock, string Cause) open)
    {
        var seconds = open.Clock.Elapsed.TotalSeconds;
        _longest[role] = Math.Max(_longest[role], seconds);
        _byCause[open.Cause] = Math.Max(_byCause.GetValueOrDefault(open.Cause), seconds);
    }

    private async Task LookAsync(string role, string consumer, string topic, CancellationToken ct)
    {
        var ports = roles.Ports(role);
        var scrapes = await Task.WhenAll(ports.Select(async p =>
        {
            using var scraper = new MetricsScraper(p.Value);
            return (Instance: p.Key, Snapshot: await scraper.ScrapeAsync(ct).ConfigureAwait(false));
        })).ConfigureAwait(false);
        var owners = Enumerable.Range(0, partitions).ToDictionary(p => p, _ => new SortedSet<string>(StringComparer.Ordinal));
        foreach (var (instance, snapshot) in scrapes)
            foreach (var s in snapshot.Samples)
                if (s.Name == "peterrec_kafka_consumer_assigned" && s.Value > 0 && s.Matches(("consumer", consumer), ("topic", topic))
                    && int.TryParse(s.Labels.GetValueOrDefault("partition"), out var p) && owners.TryGetValue(p, out var set))
                    set.Add(instance);
        var map = string.Join(";", owners.Select(o => $"{o.Key}={string.Join(",", o.Value)}"));
        lock (_rebalances)
        {
            if (_last.TryGetValue(role, out var previous) && previous != map) _rebalances[role]++;
            _last[role] = map;
            foreach (var (p, set) in owners)
            {
                var key = (role, p);
                if (set.Count == 0) { if (!_unowned.ContainsKey(key)) _unowned[key] = (Stopwatch.StartNew(), _cause); }
                else if (_unowned.Remove(key, out var open)) Close(role, open);
            }
        }
    }
}
