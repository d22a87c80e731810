using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using PeterRec.Kafka;
using PeterRec.Streaming.Tests.Infrastructure;

namespace PeterRec.Streaming.Tests.Kafka;

/// <summary>The consume loop's offset contract, pinned against <see cref="FakeKafka"/> (no broker, no TCP).</summary>
public class FakeBrokerConsumeLoopTests
{
    private static KafkaConsumeLoop Loop(FakeKafka kafka, Func<IReadOnlyList<ConsumeResult<string, byte[]>>, CancellationToken, Task> handler,
        TimeSpan? batchDelay = null) =>
        new(kafka, new ConsumerConfig { GroupId = "g", EnableAutoOffsetStore = false },
            new KafkaConsumeLoopOptions
            {
                Name = "fake", Topics = [kafka.Topic], MaxBatchDelay = batchDelay ?? TimeSpan.FromMilliseconds(5),
                RetryBackoffMin = TimeSpan.FromMilliseconds(5),
            },
            handler, NullLogger.Instance);

    private static FakeKafka Broker(int perPartition)
    {
        var kafka = new FakeKafka("in", partitions: 2);
        for (int p = 0; p < 2; p++)
            for (int i = 0; i < perPartition; i++) kafka.Append(p, [(byte)p, (byte)i]);
        return kafka;
    }

    [Fact]
    public async Task A_failed_batch_stores_no_offset_is_rewound_to_its_first_records_and_handled_again()
    {
        var kafka = Broker(perPartition: 5);
        var handled = new List<(byte Partition, byte Index)>();
        var calls = 0;
        await using (var loop = Loop(kafka, (batch, _) =>
        {
            if (calls++ == 0) throw new InvalidOperationException("injected");
            lock (handled) handled.AddRange(batch.Select(r => (r.Message.Value[0], r.Message.Value[1])));
            return Task.CompletedTask;
        }))
        {
            loop.Start();
            await Eventually.Async(() => Task.FromResult(loop.ProcessedRecords >= 10), describe: () => $"{loop.ProcessedRecords} processed");
        }
        var journal = kafka.JournalSnapshot();
        // The failed batch rewound its partitions to their first offsets before anything was stored.
        var firstStore = Array.FindIndex(journal, j => j.StartsWith("store", StringComparison.Ordinal));
        var seeks = journal.Take(firstStore).Where(j => j.StartsWith("seek", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(seeks);
        Assert.All(seeks, s => Assert.EndsWith("@0", s));
        // Every record handled exactly once after the failure, in order per partition, and everything stored.
        Assert.Equal(10, handled.Count);
        foreach (byte p in new byte[] { 0, 1 })
            Assert.Equal([0, 1, 2, 3, 4], handled.Where(h => h.Partition == p).Select(h => (int)h.Index));
        Assert.Equal(new Dictionary<int, long> { [0] = 5, [1] = 5 }, kafka.Stored);
        Assert.True(kafka.Delivered > 10, "the failed batch was not consumed again");
    }

    [Fact]
    public async Task Revocation_handles_the_pending_batch_and_stores_its_offsets_while_the_partitions_are_still_assigned()
    {
        var kafka = Broker(perPartition: 3);
        var handled = new List<byte[]>();
        // A batch never closes on time here: only the revocation can flush it.
        await using var loop = Loop(kafka, (batch, _) =>
        {
            lock (handled) handled.AddRange(batch.Select(r => r.Message.Value));
            return Task.CompletedTask;
        }, batchDelay: TimeSpan.FromHours(1));
        loop.Start();
        await Eventually.Async(() => Task.FromResult(kafka.Delivered >= 6), describe: () => $"{kafka.Delivered} delivered");
        Assert.Empty(handled);

        kafka.Revoke(0, 1);
        await Eventually.Async(() => Task.FromResult(kafka.JournalSnapshot().Contains("revoked 1")));
        Assert.Equal(6, handled.Count);
        var journal = kafka.JournalSnapshot().ToList();
        Assert.True(journal.IndexOf("store 0@3") < journal.IndexOf("revoked 0"), string.Join(", ", journal));
        Assert.True(journal.IndexOf("store 1@3") < journal.IndexOf("revoked 1"), string.Join(", ", journal));
    }

    [Fact]
    public async Task An_incremental_revocation_flushes_the_pending_batch_keeps_the_other_partitions_and_a_later_assignment_resumes_at_the_stored_offset()
    {
        // Cooperative-sticky and KIP-848 hand the rebalance callbacks only the partitions that change owner.
        var kafka = Broker(perPartition: 3);
        var handled = new List<byte[]>();
        await using var loop = Loop(kafka, (batch, _) =>
        {
            lock (handled) handled.AddRange(batch.Select(r => r.Message.Value));
            return Task.CompletedTask;
        }, batchDelay: TimeSpan.FromHours(1));
        loop.Start();
        await Eventually.Async(() => Task.FromResult(kafka.Delivered >= 6), describe: () => $"{kafka.Delivered} delivered");

        kafka.Revoke(0);
        await Eventually.Async(() => Task.FromResult(kafka.JournalSnapshot().Contains("revoked 0")));
        // The whole pending batch (both partitions) was handled and stored before partition 0 left.
        lock (handled) Assert.Equal(6, handled.Count);
        var journal = kafka.JournalSnapshot().ToList();
        Assert.True(journal.IndexOf("store 0@3") < journal.IndexOf("revoked 0"), string.Join(", ", journal));
        Assert.Contains("store 1@3", journal);
        // Partition 1 stays ours: the loop keeps it and keeps consuming it; partition 0 is no longer read.
        Assert.Equal([1], loop.Assignment.Select(tp => tp.Partition.Value));
        Assert.True(loop.IsReady);
        kafka.Append(0, [0, 3]);
        kafka.Append(1, [1, 3]);
        await Eventually.Async(() => Task.FromResult(kafka.Delivered >= 7));

        // Partition 0 comes back alone: the loop adds it to the assignment and reads on from the stored offset.
        kafka.Assign(0);
        await Eventually.Async(() => Task.FromResult(kafka.Delivered >= 8), describe: () => $"{kafka.Delivered} delivered");
        Assert.Equal([0, 1], loop.Assignment.Select(tp => tp.Partition.Value).Order());
        kafka.Revoke(0, 1);
        await Eventually.Async(() => Task.FromResult(kafka.JournalSnapshot().Contains("revoked 1")));
        lock (handled)
        {
            Assert.Equal(8, handled.Count);
            Assert.Equal(1, handled.Count(v => v[0] == 0 && v[1] == 3));
        }
        Assert.Equal(new Dictionary<int, long> { [0] = 4, [1] = 4 }, kafka.Stored);
    }

    [Fact]
    public async Task A_lost_partitions_pending_records_are_dropped_unhandled_and_nothing_is_stored_for_it()
    {
        var kafka = new FakeKafka("in", partitions: 1);
        for (int i = 0; i < 4; i++) kafka.Append(0, [0, (byte)i]);
        var handled = 0;
        await using var loop = Loop(kafka, (batch, _) =>
        {
            Interlocked.Add(ref handled, batch.Count);
            return Task.CompletedTask;
        }, batchDelay: TimeSpan.FromHours(1));
        loop.Start();
        await Eventually.Async(() => Task.FromResult(kafka.Delivered >= 4));

        kafka.Lose(0);
        await Eventually.Async(() => Task.FromResult(kafka.JournalSnapshot().Contains("lost 0")));
        await Task.Delay(50);
        Assert.Equal(0, handled);
        Assert.Empty(kafka.Stored);
        Assert.False(loop.IsReady); // no partitions left
    }
}
