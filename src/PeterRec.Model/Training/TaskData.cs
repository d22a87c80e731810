using PeterRec.Model.Data;

namespace PeterRec.Model.Training;

/// <summary>Fine-tuning rows encoded against the backbone's source vocabulary and the task's target vocabulary.</summary>
public sealed record TaskData(IReadOnlyList<TaskUser> Users, Vocabulary TargetVocab, long OovTokens, long SourceTokens, int SkippedRows, int UnknownTargets)
{
    /// <summary>
    /// Builds the target vocabulary from the file, most frequent first (so a log-uniform sampler
    /// fits it), and encodes every row. Source tokens outside the backbone's vocabulary map to the
    /// OOV id and are counted.
    /// </summary>
    public static TaskData Build(CsvResult<FineTuneRow> rows, Vocabulary sourceVocab)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var row in rows.Rows)
            foreach (var t in row.Targets)
                if (counts.TryGetValue(t, out var c)) counts[t] = c + 1;
                else { counts[t] = 1; order.Add(t); }
        var ranked = order.Select((t, i) => (t, i)).OrderByDescending(x => counts[x.t]).ThenBy(x => x.i).Select(x => x.t);
        var targetVocab = Vocabulary.Build(ranked, []);
        return Encode(rows, sourceVocab, targetVocab);
    }

    /// <summary>Encodes rows against fixed vocabularies (evaluation of a saved task). Unknown targets drop the pair.</summary>
    public static TaskData Encode(CsvResult<FineTuneRow> rows, Vocabulary sourceVocab, Vocabulary targetVocab)
    {
        long oov = 0, tokens = 0;
        int unknownTargets = 0;
        var users = new List<TaskUser>(rows.Rows.Count);
        foreach (var row in rows.Rows)
        {
            var src = new int[row.Source.Length];
            for (int i = 0; i < src.Length; i++)
            {
                src[i] = sourceVocab.IdOrUnk(row.Source[i]);
                if (src[i] == Vocabulary.UnkId) oov++;
            }
            tokens += src.Length;
            var targets = new List<int>(row.Targets.Length);
            foreach (var t in row.Targets)
                if (targetVocab.TryGetId(t, out var id)) { if (!targets.Contains(id)) targets.Add(id); }
                else unknownTargets++;
            if (targets.Count > 0) users.Add(new TaskUser(row.Line, src, targets.ToArray(), row.User));
        }
        return new TaskData(users, targetVocab, oov, tokens, rows.SkippedCount, unknownTargets);
    }

    /// <summary>One (user, target) pair per target: the training examples.</summary>
    public static List<(int[] Source, int Target)> Pairs(IEnumerable<TaskUser> users) =>
        users.SelectMany(u => u.Targets.Select(t => (u.Source, t))).ToList();
}
