using System.Runtime.InteropServices;

namespace PeterRec.DevBroker;

/// <summary>P/Invoke surface of librdkafka's experimental mock cluster API (rdkafka.h, rdkafka_mock.h).</summary>
internal static partial class MockKafkaNative
{
    private const string Lib = LibrdkafkaResolver.LibraryName;

    static MockKafkaNative() => LibrdkafkaResolver.EnsureRegistered();

    internal const int RD_KAFKA_PRODUCER = 0;
    internal const int RD_KAFKA_CONF_OK = 0;

    [LibraryImport(Lib)] internal static partial IntPtr rd_kafka_conf_new();
    [LibraryImport(Lib)] internal static partial void rd_kafka_conf_destroy(IntPtr conf);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rd_kafka_conf_set(IntPtr conf, string name, string value, byte[] errstr, nuint errstrSize);

    /// <summary>Takes ownership of <paramref name="conf"/> on success only.</summary>
    [LibraryImport(Lib)] internal static partial IntPtr rd_kafka_new(int type, IntPtr conf, byte[] errstr, nuint errstrSize);
    [LibraryImport(Lib)] internal static partial void rd_kafka_destroy(IntPtr rk);

    [LibraryImport(Lib)] internal static partial IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);
    [LibraryImport(Lib)] internal static partial void rd_kafka_mock_cluster_destroy(IntPtr mcluster);
    [LibraryImport(Lib)] internal static partial IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr mcluster);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rd_kafka_mock_topic_create(IntPtr mcluster, string topic, int partitionCount, int replicationFactor);

    [LibraryImport(Lib)] internal static partial void rd_kafka_mock_group_initial_rebalance_delay_ms(IntPtr mcluster, int delayMs);
    [LibraryImport(Lib)] internal static partial void rd_kafka_mock_set_group_consumer_session_timeout_ms(IntPtr mcluster, int timeoutMs);

    [LibraryImport(Lib)] internal static partial void rd_kafka_mock_clear_request_errors(IntPtr mcluster, short apiKey);

    [LibraryImport(Lib)]
    internal static partial void rd_kafka_mock_push_request_errors_array(IntPtr mcluster, short apiKey, nuint count, int[] errors);

    /// <summary>
    /// The C function is variadic (<c>cnt</c> pairs of <c>err, rtt_ms</c>). We always pass exactly one pair: on the
    /// SysV x64 ABI the six integer arguments all travel in registers exactly as for a fixed-arity call.
    /// </summary>
    [LibraryImport(Lib)]
    internal static partial int rd_kafka_mock_broker_push_request_error_rtts(IntPtr mcluster, int brokerId, short apiKey, nuint count, int error, int rttMs);

    [LibraryImport(Lib)] internal static partial int rd_kafka_mock_broker_set_down(IntPtr mcluster, int brokerId);
    [LibraryImport(Lib)] internal static partial int rd_kafka_mock_broker_set_up(IntPtr mcluster, int brokerId);
    [LibraryImport(Lib)] internal static partial int rd_kafka_mock_broker_set_rtt(IntPtr mcluster, int brokerId, int rttMs);

    internal static string ErrorText(byte[] errstr)
    {
        var end = Array.IndexOf(errstr, (byte)0);
        return System.Text.Encoding.UTF8.GetString(errstr, 0, end < 0 ? errstr.Length : end);
    }
}
