using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace PeterRec.Kafka;

/// <summary>
/// At-least-once batch consumer on a dedicated thread (after Confluent's examples): records are collected into
/// batches (<see cref="KafkaConsumeLoopOptions.MaxBatchSize"/> or <see cref="KafkaConsumeLoopOptions.MaxBatchDelay"/>),
/// the handler runs to completion, and only then are the batch's offsets stored for commit.
/// </summary>
/// <remarks>
/// The handler must return only when the batch's effect is durable, and must be idempotent: records can arrive again
/// after a crash, a rebalance or a failed batch. If it throws, nothing of the batch is stored: the loop seeks its
/// partitions back to the batch's first offsets, reports not-ready, backs off and consumes them again.
/// Revocation flushes the pending batch (its partitions are still ours during the callback); a lost partition's
/// pending records are dropped, since another member already owns them.
/// The handler receives a private copy of the batch and runs on the consume thread, so it may block.
/// The consumer comes from an <see cref="IKafkaClientFactory"/>, so the contract is pinned both over real TCP and
/// against an in-memory fake (tests: <c>FakeBrokerConsumeLoopTests</c>).
/// </remarks>
public sealed class KafkaConsumeLoop : IKafkaConsumerStatus, IAsyncDisposable
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LagRefresh = TimeSpan.FromSeconds(1);

    private readonly IKafkaClientFactory _clients;
    private readonly ConsumerConfig _config;
    private readonly KafkaConsumeLoopOptions _options;
    private readonly Func<IReadOnlyList<ConsumeResult<string, byte[]>>, CancellationToken, Task> _handler;
    private readonly ILogger _logger;
    private readonly KafkaMetrics? _metrics;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<ConsumeResult<string, byte[]>> _pending = [];
    private readonly object _statusGate = new();
    private Thread? _thread;
    private List<TopicPartition> _assignment = [];
    private Dictionary<TopicPartition, long> _lag = [];
    private volatile string? _lastError;
    private volatile bool _running;
    private long _processed;
    private TimeSpan _backoff;

    /// <param name="clients">Where the consumer comes from: <see cref="KafkaClientFactory.Instance"/>, or a test's fake.</param>
    public KafkaConsumeLoop(
        IKafkaClientFactory clients,
        ConsumerConfig config,
        KafkaConsumeLoopOptions options,
        Func<IReadOnlyList<ConsumeResult<string, byte[]>>, CancellationToken, Task> handler,
        ILogger logger,
        KafkaMetrics? metrics = null)
    {
        if (config.EnableAutoOffsetStore != false)
            throw new ArgumentException("KafkaConsumeLoop stores offsets itself: set EnableAutoOffsetStore = false", nameof(config));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatchSize, 1);
        _clients = clients;
        _config = config;
        _options = options;
        _handler = handler;
        _logger = logger;
        _metrics = metrics;
        _backoff = options.RetryBackoffMin;
    }

    public string Name => _options.Name;

    public bool IsReady => _running && _lastError is null && Assignment.Count > 0;

    public IReadOnlyList<TopicPartition> Assignment
    {
        get { lock (_statusGate) return _assignment; }
    }

    public string? LastError => _lastError;

    public long ProcessedRecords => Interlocked.Read(ref _processed);

    public IReadOnlyDictionary<TopicPartition, long> Lag
    {
        get { lock (_statusGate) return _lag; }
    }

    /// <summary>Completes when the loop has stopped and the consumer is closed; faults on a fatal Kafka error.</summary>
    public Task Completion => _completion.Task;

    public void Start()
    {
        if (_thread is not null) throw new InvalidOperationException("already started");
        _thread = new Thread(Run) { IsBackground = true, Name = $"kafka-{Name}" };
        _running = true;
        _thread.Start();
    }

    /// <summary>Stops consuming, drops the unhandled pending batch (it is redelivered later), commits and leaves the group.</summary>
    public async Task StopAsync()
    {
        _stop.Cancel();
        if (_thread is null) return;
        try
        {
            await Completion.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger.LogDebug(e, "Consumer {Name} had failed before stop", Name);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private void Run()
    {
        var token = _stop.Token;
        try
        {
            IKafkaConsumer? self = null;
            using var consumer = self = _clients.CreateConsumer(_config, new ConsumerEvents(
                Assigned: OnAssigned,
                Revoked: parts => OnRevoked(self!, parts),
                Lost: OnLost,
                Error: OnClientError,
                Log: m => _logger.LogDebug("librdkafka {Facility}: {Message}", m.Facility, m.Message)));
            if (_options.GrouplessFromEnd)
            {
                OnAssigned(consumer.AssignAllAtEnd(_options.Topics, TimeSpan.FromSeconds(30)));
                _logger.LogInformation("Consumer {Name} reads {Topics} from the end without a consumer group", Name, string.Join(",", _options.Topics));
            }
            else
            {
                consumer.Subscribe(_options.Topics);
                _logger.LogInformation("Consumer {Name} subscribed to {Topics} as group {Group} (group protocol {Protocol}, assignor {Assignor}, instance {Instance})",
                    Name, string.Join(",", _options.Topics), _config.GroupId, ProtocolName(_config), AssignorName(_config), _config.GroupInstanceId ?? "dynamic");
            }
            try
            {
                ConsumeUntilStopped(consumer, token);
            }
            finally
            {
                _pending.Clear();
                _running = false;
                // Close commits stored offsets and leaves the group, so a successor starts where we stopped.
                try { consumer.Close(); }
                catch (KafkaException e) { _logger.LogWarning(e, "Consumer {Name} close failed", Name); }
            }
            _completion.TrySetResult();
        }
        catch (Exception e)
        {
            _running = false;
            _lastError = $"fatal: {e.Message}";
            _metrics?.RecordError("kafka.consumer", "fatal");
            _logger.LogCritical(e, "Consumer {Name} stopped on a fatal error", Name);
            _completion.TrySetException(e);
        }
    }

    private static string ProtocolName(ConsumerConfig c) => c.GroupProtocol == GroupProtocol.Consumer ? "consumer (KIP-848)" : "classic";

    private static string AssignorName(ConsumerConfig c) => c.GroupProtocol == GroupProtocol.Consumer
        ? $"broker-side {c.GroupRemoteAssignor ?? "(broker default)"}"
        : c.Get("partition.assignment.strategy") ?? "range,roundrobin (librdkafka default)";

    private void ConsumeUntilStopped(IKafkaConsumer consumer, CancellationToken token)
    {
        var clock = Stopwatch.StartNew();
        var firstAt = TimeSpan.Zero;
        var lagAt = TimeSpan.Zero;
        while (!token.IsCancellationRequested)
        {
            var wait = _pending.Count == 0 ? IdlePoll : _options.MaxBatchDelay - (clock.Elapsed - firstAt);
            ConsumeResult<string, byte[]>? result = null;
            try
            {
                result = consumer.Consume(wait < TimeSpan.Zero ? TimeSpan.Zero : wait);
            }
            catch (ConsumeException e) when (!e.Error.IsFatal)
            {
                _metrics?.RecordError("kafka.consumer", "consume");
                _logger.LogWarning("Consumer {Name}: {Reason} at {TopicPartitionOffset}", Name, e.Error.Reason, e.ConsumerRecord?.TopicPartitionOffset);
            }
            if (result?.Message is not null)
            {
                if (_pending.Count == 0) firstAt = clock.Elapsed;
                _pending.Add(result);
            }
            if (_pending.Count > 0 && (_pending.Count >= _options.MaxBatchSize || clock.Elapsed - firstAt >= _options.MaxBatchDelay))
                ProcessPending(consumer, leaving: null, token);
            if (clock.Elapsed - lagAt >= LagRefresh)
            {
                lagAt = clock.Elapsed;
                RefreshLag(consumer);
            }
        }
    }

    /// <summary>Runs the handler on the pending batch; on success stores offsets, on failure rewinds.</summary>
    /// <param name="leaving">Partitions being revoked: they are not rewound (their next owner starts from the commit).</param>
    private void ProcessPending(IKafkaConsumer consumer, IReadOnlyCollection<TopicPartition>? leaving, CancellationToken token)
    {
        var batch = _pending.ToArray();
        _pending.Clear();
        var started = Stopwatch.GetTimestamp();
        try
        {
            _handler(batch, token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            _lastError = $"batch handler failed: {e.Message}";
            _metrics?.RecordError(Name, "handler");
            _logger.LogError(e, "Consumer {Name}: batch of {Count} failed; rewinding and retrying in {Backoff}", Name, batch.Length, _backoff);
            Rewind(consumer, batch, leaving);
            token.WaitHandle.WaitOne(_backoff);
            _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, _options.RetryBackoffMax.Ticks));
            return;
        }
        _lastError = null;
        _backoff = _options.RetryBackoffMin;
        if (!_options.GrouplessFromEnd) StoreOffsets(consumer, batch);
        Interlocked.Add(ref _processed, batch.Length);
        _metrics?.RecordBatch(Name, batch.Length, Stopwatch.GetElapsedTime(started));
        foreach (var group in batch.GroupBy(r => r.Topic))
            _metrics?.RecordConsumed(Name, group.Key, group.Count());
    }

    private void StoreOffsets(IKafkaConsumer consumer, ConsumeResult<string, byte[]>[] batch)
    {
        var next = new Dictionary<TopicPartition, long>();
        foreach (var r in batch)
            if (!next.TryGetValue(r.TopicPartition, out var o) || r.Offset.Value + 1 > o) next[r.TopicPartition] = r.Offset.Value + 1;
        foreach (var (tp, offset) in next)
        {
            try
            {
                consumer.StoreOffset(new TopicPartitionOffset(tp, offset));
            }
            catch (KafkaException e)
            {
                // The partition was lost meanwhile: its new owner redoes these records (idempotently).
                _logger.LogWarning("Consumer {Name}: could not store offset {Offset} for {TopicPartition}: {Reason}", Name, offset, tp, e.Error.Reason);
            }
        }
    }

    private void Rewind(IKafkaConsumer consumer, ConsumeResult<string, byte[]>[] batch, IReadOnlyCollection<TopicPartition>? leaving)
    {
        var assigned = Assignment;
        foreach (var first in batch.GroupBy(r => r.TopicPartition).Select(g => g.MinBy(r => r.Offset.Value)!))
        {
            if (leaving?.Contains(first.TopicPartition) == true || !assigned.Contains(first.TopicPartition)) continue;
            try
            {
                consumer.Seek(first.TopicPartitionOffset);
            }
            catch (KafkaException e)
            {
                _logger.LogWarning("Consumer {Name}: seek to {Offset} failed: {Reason}", Name, first.TopicPartitionOffset, e.Error.Reason);
            }
        }
    }

    private void OnAssigned(IReadOnlyList<TopicPartition> parts)
    {
        lock (_statusGate) _assignment = [.. _assignment.Union(parts)];
        _logger.LogInformation("Consumer {Name} assigned {Partitions}", Name, string.Join(",", parts));
        _options.OnAssigned?.Invoke(parts);
    }

    private void OnRevoked(IKafkaConsumer consumer, IReadOnlyList<TopicPartition> parts)
    {
        // Flush while the partitions are still ours, so their offsets are stored and committed with the revocation.
        if (_pending.Count > 0 && !_stop.IsCancellationRequested) ProcessPending(consumer, parts, _stop.Token);
        lock (_statusGate)
        {
            _assignment = [.. _assignment.Except(parts)];
            _lag = _lag.Where(kv => !parts.Contains(kv.Key)).ToDictionary();
        }
        _logger.LogInformation("Consumer {Name} revoked {Partitions}", Name, string.Join(",", parts));
        _options.OnRevoked?.Invoke(parts);
    }

    private void OnLost(IReadOnlyList<TopicPartition> parts)
    {
        _pending.RemoveAll(r => parts.Contains(r.TopicPartition));
        lock (_statusGate)
        {
            _assignment = [.. _assignment.Except(parts)];
            _lag = _lag.Where(kv => !parts.Contains(kv.Key)).ToDictionary();
        }
        _logger.LogWarning("Consumer {Name} lost {Partitions}; their pending records are left to the new owner", Name, string.Join(",", parts));
        _options.OnLost?.Invoke(parts);
    }

    private void OnClientError(Error error)
    {
        _metrics?.RecordError("kafka.consumer", error.IsFatal ? "fatal" : "client");
        if (error.IsFatal) _lastError = $"fatal: {error.Reason}";
        _logger.Log(error.IsFatal ? LogLevel.Critical : LogLevel.Warning, "Consumer {Name}: {Code} {Reason}", Name, error.Code, error.Reason);
    }

    private void RefreshLag(IKafkaConsumer consumer)
    {
        var lag = new Dictionary<TopicPartition, long>();
        foreach (var tp in Assignment)
        {
            var watermarks = consumer.GetWatermarkOffsets(tp);
            var position = consumer.Position(tp);
            if (watermarks.High.IsSpecial || position.IsSpecial) continue;
            lag[tp] = Math.Max(0, watermarks.High.Value - position.Value);
        }
        lock (_statusGate) _lag = lag;
    }
}
