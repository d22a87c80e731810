using System.Diagnostics;
using Confluent.Kafka;
using PeterRec.Contracts;

namespace PeterRec.Producers;

public readonly record struct ReplaySummary(long Clicks, long TaskEvents, long Failed, TimeSpan Elapsed);

/// <summary>Produces replay events (key = user) to the clicks and task-events topics and waits for every delivery.</summary>
public static class EventReplayer
{
    public static ReplaySummary Run(IProducer<string, byte[]> producer, TopicOptions topics, IEnumerable<ReplayEvent> events,
        double rate, long maxEvents, CancellationToken ct)
    {
        var bucket = new TokenBucket(rate);
        long clicks = 0, tasks = 0, failed = 0;
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        void OnDelivery(DeliveryReport<string, byte[]> report)
        {
            if (report.Error.IsError && Interlocked.Increment(ref failed) == 1) firstError = report.Error.Reason;
        }
        foreach (var e in events)
        {
            if (ct.IsCancellationRequested || (maxEvents > 0 && clicks + tasks >= maxEvents)) break;
            bucket.Take();
            var (topic, value) = e.Click is { } c ? (topics.Clicks, c.ToJson()) : (topics.TaskEvents, e.Task!.ToJson());
            var message = new Message<string, byte[]> { Key = e.User, Value = value };
            while (true)
            {
                try
                {
                    producer.Produce(topic, message, OnDelivery);
                    break;
                }
                catch (ProduceException<string, byte[]> x) when (x.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(50));
                }
            }
            if (e.Click is not null) clicks++;
            else tasks++;
        }
        while (producer.Flush(TimeSpan.FromSeconds(1)) > 0 && !ct.IsCancellationRequested) { }
        if (failed > 0) Console.Error.WriteLine($"produce: {failed} deliveries failed, first: {firstError}");
        return new ReplaySummary(clicks, tasks, Interlocked.Read(ref failed), clock.Elapsed);
    }
}
