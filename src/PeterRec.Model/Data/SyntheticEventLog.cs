using System.Globalization;
using PeterRec.Model.Data.Events;

namespace PeterRec.Model.Data;

/// <summary>
/// The synthetic benchmark written as an event log, as a user's own data would come: events.csv
/// (<c>user,item,ts</c>, one click per row, the whole file in time order so users interleave) and
/// rec_labels.csv / cls_labels.csv (<c>user,label,ts</c>), ts in unix milliseconds. Times are laid out so
/// that one time split gives back the CSV files exactly:
/// <list type="bullet">
/// <item>pretrain user i ("u{i}") clicks its j-th item at Start + j·R + ⌊i·R/P⌋ (P pretrain users, R one
/// round: a day, less when sequences are very long), all before Split = Start + MaxSeqLen·R;</item>
/// <item>a fresh fine-tune user k ("u{P+k}") clicks from Split on in the same way, and all its labels come at
/// Split + MaxSeqLen·R + ⌊k·R/F⌋, after its last click; a fine-tune user drawn from the pretrain users keeps
/// its id and clicks, and gets its labels at Split + ⌊k·R/F⌋.</item>
/// </list>
/// So <c>pretrain --events events.csv --until Split</c> reads exactly pretrain.csv's sequences (users in the
/// same order) and <c>finetune --events events.csv --labels rec_labels.csv --until Split</c> exactly rec.csv's rows.
/// </summary>
public static class SyntheticEventLog
{
    /// <summary>2025-01-01T00:00:00Z: the first pretraining round.</summary>
    public const long StartMs = 1_735_689_600_000;

    private const long DayMs = 86_400_000;

    /// <summary>Length of one round (each user's j-th click falls in round j): a day, shorter when 2·MaxSeqLen days would pass 20,000 days.</summary>
    public static long RoundMs(SyntheticOptions o) => Math.Min(DayMs, 20_000 * DayMs / (2L * o.MaxSeqLen + 1));

    /// <summary>The time split: every pretraining click is before it, every fine-tune label at or after it.</summary>
    public static long SplitMs(SyntheticOptions o) => StartMs + o.MaxSeqLen * RoundMs(o);

    public static string Describe(SyntheticOptions o) => string.Create(CultureInfo.InvariantCulture, $"""
          events.csv    the same data as an event log: user,item,ts (unix ms), one click per row, in time order. Pretrain users
                        are u0..u{o.PretrainUsers - 1}; their clicks all come before {EventTimestamp.Format(SplitMs(o))} ({SplitMs(o)}).
          rec_labels.csv, cls_labels.csv  user,label,ts: rec.csv's targets and cls.csv's classes, after each user's clicks
                        and at or after that time. `--until {EventTimestamp.Format(SplitMs(o))}` on both pretrain and finetune
                        gives back the CSV files' sequences and rows.
        """);

    public static void Write(string outDir, SyntheticOptions o, SyntheticUser[] pretrain, SyntheticUser[] fineTune, int[]? fromPretrain, int[][] targets)
    {
        var round = RoundMs(o);
        var split = SplitMs(o);
        var ids = new string[fineTune.Length];
        for (int k = 0; k < ids.Length; k++) ids[k] = "u" + (fromPretrain is null ? pretrain.Length + k : fromPretrain[k]);
        SequenceCsv.WriteAtomically(Path.Combine(outDir, "events.csv"), w =>
        {
            w.Write("user,item,ts\n");
            WriteRounds(w, pretrain, i => "u" + i, StartMs, round);
            if (fromPretrain is null) WriteRounds(w, fineTune, k => ids[k], split, round);
        });
        var labelAt = fromPretrain is null ? split + o.MaxSeqLen * round : split;
        WriteLabels(Path.Combine(outDir, "rec_labels.csv"), ids, labelAt, round, k => targets[k].Select(SyntheticWorld.TargetToken));
        WriteLabels(Path.Combine(outDir, "cls_labels.csv"), ids, labelAt, round, k => [SyntheticWorld.ClassToken(fineTune[k].Label)]);
    }

    private static void WriteRounds(StreamWriter w, SyntheticUser[] users, Func<int, string> id, long start, long round)
    {
        var longest = users.Max(u => u.Items.Length);
        for (int j = 0; j < longest; j++)
            for (int i = 0; i < users.Length; i++)
                if (j < users[i].Items.Length)
                    Row(w, id(i), SyntheticWorld.SourceToken(users[i].Items[j]), start + j * round + i * round / users.Length);
    }

    private static void WriteLabels(string path, string[] ids, long start, long round, Func<int, IEnumerable<string>> labels) =>
        SequenceCsv.WriteAtomically(path, w =>
        {
            w.Write("user,label,ts\n");
            for (int k = 0; k < ids.Length; k++)
                foreach (var label in labels(k))
                    Row(w, ids[k], label, start + k * round / ids.Length);
        });

    private static void Row(StreamWriter w, string user, string value, long ts)
    {
        w.Write(user);
        w.Write(',');
        w.Write(value);
        w.Write(',');
        w.Write(ts.ToString(CultureInfo.InvariantCulture));
        w.Write('\n');
    }
}
