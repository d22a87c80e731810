using System.Runtime.InteropServices;
using Confluent.Kafka;
using static PeterRec.DevBroker.MockKafkaNative;

namespace PeterRec.DevBroker;

/// <summary>
/// An in-process Kafka cluster: librdkafka's mock brokers, listening on random 127.0.0.1 ports. Any Kafka client
/// (Confluent.Kafka, kcat, another process) reaches it through <see cref="BootstrapServers"/>.
/// </summary>
/// <remarks>
/// The mock API is experimental in librdkafka and not ABI-stable: this class is pinned to the librdkafka that
/// Confluent.Kafka 2.16.0 bundles. The mock cluster is owned by an <c>rd_kafka_t</c> handle and must be destroyed
/// before it. Error injection methods exist for reliability tests.
/// </remarks>
public sealed class MockKafkaCluster : IDisposable
{
    private readonly object _gate = new();
    private IntPtr _rk;
    private IntPtr _cluster;

    /// <param name="brokerCount">Brokers get ids 1..brokerCount.</param>
    public MockKafkaCluster(int brokerCount = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokerCount, 1);
        BrokerCount = brokerCount;
        var errstr = new byte[512];
        var conf = rd_kafka_conf_new();
        // The owning handle is a producer that never produces; keep its own logging quiet.
        if (rd_kafka_conf_set(conf, "log_level", "3", errstr, (nuint)errstr.Length) != RD_KAFKA_CONF_OK)
        {
            rd_kafka_conf_destroy(conf);
            throw new InvalidOperationException($"rd_kafka_conf_set failed: {ErrorText(errstr)}");
        }
        _rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, (nuint)errstr.Length);
        if (_rk == IntPtr.Zero)
        {
            rd_kafka_conf_destroy(conf);
            throw new InvalidOperationException($"rd_kafka_new failed: {ErrorText(errstr)}");
        }
        _cluster = rd_kafka_mock_cluster_new(_rk, brokerCount);
        if (_cluster == IntPtr.Zero)
        {
            rd_kafka_destroy(_rk);
            _rk = IntPtr.Zero;
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed (see librdkafka log on stderr)");
        }
        BootstrapServers = Marshal.PtrToStringUTF8(rd_kafka_mock_cluster_bootstraps(_cluster))
            ?? throw new InvalidOperationException("mock cluster returned no bootstrap servers");
        // A new consumer group would otherwise wait ~3 s for more members before its first assignment.
        rd_kafka_mock_group_initial_rebalance_delay_ms(_cluster, 0);
    }

    /// <summary>Comma-separated host:port list for <c>bootstrap.servers</c>.</summary>
    public string BootstrapServers { get; }

    public int BrokerCount { get; }

    /// <summary>Creates a topic (the mock does not implement the CreateTopics admin request).</summary>
    public void CreateTopic(string topic, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        Check(rd_kafka_mock_topic_create(Handle(), topic, partitions, Math.Min(replicationFactor, BrokerCount)),
            $"create topic '{topic}'");
    }

    public void SetInitialRebalanceDelay(TimeSpan delay) =>
        rd_kafka_mock_group_initial_rebalance_delay_ms(Handle(), (int)delay.TotalMilliseconds);

    /// <summary>
    /// KIP-848 group session timeout (the broker's group.consumer.session.timeout.ms; 45 s by default): how long a
    /// member that vanished without leaving (kill -9) keeps its partitions before they move to a live member.
    /// </summary>
    public void SetConsumerGroupSessionTimeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.FromSeconds(1));
        rd_kafka_mock_set_group_consumer_session_timeout_ms(Handle(), (int)timeout.TotalMilliseconds);
    }

    /// <summary>
    /// The next <paramref name="errors"/>.Length requests of type <paramref name="apiKey"/> to any broker fail with
    /// these errors, in order. <see cref="ErrorCode.Local_Transport"/> makes the broker drop the connection.
    /// </summary>
    public void PushRequestErrors(KafkaApiKey apiKey, params ErrorCode[] errors)
    {
        if (errors.Length == 0) return;
        rd_kafka_mock_push_request_errors_array(Handle(), (short)apiKey, (nuint)errors.Length, errors.Select(e => (int)e).ToArray());
    }

    public void ClearRequestErrors(KafkaApiKey apiKey) => rd_kafka_mock_clear_request_errors(Handle(), (short)apiKey);

    /// <summary>The broker's next request of <paramref name="apiKey"/> fails with <paramref name="error"/> after a delay
    /// (use <see cref="ErrorCode.NoError"/> for a pure delay). Broker errors take precedence over cluster errors.</summary>
    public void PushBrokerRequestError(int brokerId, KafkaApiKey apiKey, ErrorCode error, TimeSpan rtt = default) =>
        Check(rd_kafka_mock_broker_push_request_error_rtts(Handle(), brokerId, (short)apiKey, 1, (int)error, (int)rtt.TotalMilliseconds),
            $"push error on broker {brokerId}");

    /// <summary>Disconnects the broker (-1: all) and refuses new connections; leadership does not move.</summary>
    public void SetBrokerDown(int brokerId = -1) => Check(rd_kafka_mock_broker_set_down(Handle(), brokerId), $"set broker {brokerId} down");

    public void SetBrokerUp(int brokerId = -1) => Check(rd_kafka_mock_broker_set_up(Handle(), brokerId), $"set broker {brokerId} up");

    public void SetBrokerRtt(TimeSpan rtt, int brokerId = -1) =>
        Check(rd_kafka_mock_broker_set_rtt(Handle(), brokerId, (int)rtt.TotalMilliseconds), $"set broker {brokerId} rtt");

    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster != IntPtr.Zero) rd_kafka_mock_cluster_destroy(_cluster);
            if (_rk != IntPtr.Zero) rd_kafka_destroy(_rk);
            _cluster = _rk = IntPtr.Zero;
        }
    }

    private IntPtr Handle()
    {
        var cluster = _cluster;
        ObjectDisposedException.ThrowIf(cluster == IntPtr.Zero, this);
        return cluster;
    }

    private static void Check(int err, string what)
    {
        if (err != 0) throw new KafkaException(new Error((ErrorCode)err, $"mock cluster: {what} failed: {(ErrorCode)err}"));
    }
}
