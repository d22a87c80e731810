namespace PeterRec.Model.Data;

/// <summary>A fine-tuning user: source ids (oldest first) and target ids (items for rec, the class for cls).</summary>
/// <param name="User">Groups several examples of one user for the split (see <see cref="FineTuneRow.User"/>); null = its own user.</param>
public sealed record TaskUser(int Line, int[] Source, int[] Targets, string? User = null);
