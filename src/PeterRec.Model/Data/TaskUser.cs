namespace PeterRec.Model.Data;

/// <summary>A fine-tuning user: source ids (oldest first) and target ids (items for rec, the class for cls).</summary>
public sealed record TaskUser(int Line, int[] Source, int[] Targets);
