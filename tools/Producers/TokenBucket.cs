using System.Diagnostics;

namespace PeterRec.Producers;

/// <summary>Paces a producer at <c>rate</c> events/s with bursts of up to 50 ms worth; rate 0 means unpaced.</summary>
public sealed class TokenBucket(double rate)
{
    private readonly double _burst = Math.Max(1, rate / 20);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _tokens = Math.Max(1, rate / 20);
    private double _last;

    public void Take()
    {
        if (rate <= 0) return;
        while (true)
        {
            var now = _clock.Elapsed.TotalSeconds;
            _tokens = Math.Min(_burst, _tokens + (now - _last) * rate);
            _last = now;
            if (_tokens >= 1)
            {
                _tokens -= 1;
                return;
            }
            Thread.Sleep(TimeSpan.FromSeconds(Math.Max(0.001, (1 - _tokens) / rate)));
        }
    }
}
