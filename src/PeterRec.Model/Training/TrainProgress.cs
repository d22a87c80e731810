namespace PeterRec.Model.Training;

/// <summary>One progress tick of a long job; the CLI renders it as a bar on a terminal, plain lines otherwise.</summary>
public sealed record TrainProgress(string Phase, int Epoch, int Epochs, int Step, int Steps, double Loss, double? Metric = null, string? MetricName = null);
