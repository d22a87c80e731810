using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;

namespace PeterRec.Kafka;

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

    /// <summary>
    /// Registers and starts a role's consume loop. A loop that dies of a fatal error stops the host with exit code 1,
    /// so an orchestrator (Kubernetes, `peterrec run`) restarts the process instead of leaving a live but idle role.
    /// </summary>
    public IDisposable StartSupervised(KafkaConsumeLoop loop, IHostApplicationLifetime lifetime)
    {
        var registration = Register(loop);
        loop.Start();
        _ = loop.Completion.ContinueWith(t =>
        {
            if (!t.IsFaulted) return;
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }, TaskScheduler.Default);
        return registration;
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
