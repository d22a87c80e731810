using static TorchSharp.torch;

namespace PeterRec.Model.Training;

/// <summary>Offline training that went non-finite or exploded; nothing was written (the run's output stays as it was).</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>
/// Stops an offline run whose loss is not finite or has exploded, before anything is saved: a NaN backbone or task
/// would otherwise be written and accepted downstream. "Exploded" means a mean batch loss above
/// <see cref="ChanceMultiple"/> times the loss of a uniform guess over the classes, ln(classes): cross-entropy at
/// initialisation sits near ln(classes), and no healthy run comes within two orders of magnitude of that bound.
/// </summary>
public sealed class DivergenceGuard
{
    public const double ChanceMultiple = 100;
    private readonly string _phase;
    private readonly double _learningRate;

    public DivergenceGuard(string phase, int classes, double learningRate)
    {
        _phase = phase;
        _learningRate = learningRate;
        Limit = ChanceMultiple * Math.Max(1.0, Math.Log(Math.Max(2, classes)));
        Classes = classes;
    }

    public double Limit { get; }
    public int Classes { get; }

    /// <summary>Throws <see cref="TrainingDivergedException"/> when <paramref name="loss"/> is NaN, infinite or above <see cref="Limit"/>.</summary>
    public void CheckLoss(double loss, int epoch, int step)
    {
        if (double.IsFinite(loss) && loss <= Limit) return;
        var what = double.IsFinite(loss) ? $"loss {loss:G4}, above {Limit:G4} ({ChanceMultiple} x ln {Classes} classes, a uniform guess)" : $"loss {loss}";
        throw new TrainingDivergedException($"{_phase} diverged at epoch {epoch}, step {step}: {what}; nothing was written. " +
                                            $"Lower --lr (it is {_learningRate:G4}) or check the data");
    }

    /// <summary>Throws when any of <paramref name="parameters"/> holds a NaN or an infinity (checked before saving).</summary>
    public void CheckParameters(IEnumerable<(string Name, Tensor Value)> parameters)
    {
        using var _ = no_grad();
        foreach (var (name, value) in parameters)
        {
            using var finite = isfinite(value).all();
            if (!finite.item<bool>())
                throw new TrainingDivergedException($"{_phase} diverged: parameter {name} holds NaN or infinite values; nothing was written. " +
                                                    $"Lower --lr (it is {_learningRate:G4}) or check the data");
        }
    }
}
