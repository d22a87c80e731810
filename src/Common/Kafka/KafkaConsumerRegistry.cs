using System.Collections.Concurrent;

namespace PeterRec.Common.Kafka;

/// <summary>The consumers running in this process, for readiness and the lag gauge.</summary>
public sealed class KafkaConsumerRegistry
{
    private readonly ConcurrentDictionary<IKafkaConsumerStatus, byte> _consumers = new();

    public IReadOnlyCollection<IKafkaConsumerStatus> Consumers => [.. _consumers.Keys];

    public IDisposable Register(IKafkaConsumerStatus consumer)
    {
        _consumers.TryAdd(consumer, 0);
        return new Registration(() => _consumers.TryRemove(consumer, out _));
    }

    private sealed class Registration(Action remove) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) remove();
        }
    }
}
