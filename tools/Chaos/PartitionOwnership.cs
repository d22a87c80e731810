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
    private readonly Dictionary<(string Role, int Partition), Stopwatch> _unowned = [];
    private readonly Dictionary<string, string> _last = [];

    /// <summary>Per role: assignment changes seen.</summary>
    public IReadOnlyDictionary<string, int> Rebalances { get { lock (_rebalances) return new Dictionary<string, int>(_rebalances); } }

    /// <summary>Per role: the longest time (s) any one partition had no owner.</summary>
    public IReadOnlyDictionary<string, double> LongestUnownedSeconds { get { lock (_rebalances) return new Dictionary<string, double>(_longest); } }

    public async Task RunAsync(CancellationToken ct)
    {
        foreach (var role in watched.Keys) { _rebalances[role] = 0; _longest[role] = 0; }
        while (!ct.IsCancellationRequested)
        {
            foreach (var (role, (consumer, topic)) in watched) await LookAsync(role, consumer, topic, ct).ConfigureAwait(false);
            try { await Task.Delay(interval, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
        }
        lock (_rebalances)
            foreach (var ((role, _), clock) in _unowned)
                _longest[role] = Math.Max(_longest[role], clock.Elapsed.TotalSeconds);
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
                if (set.Count == 0) { if (!_unowned.ContainsKey(key)) _unowned[key] = Stopwatch.StartNew(); }
                else if (_unowned.Remove(key, out var clock)) _longest[role] = Math.Max(_longest[role], clock.Elapsed.TotalSeconds);
            }
        }
    }
}
