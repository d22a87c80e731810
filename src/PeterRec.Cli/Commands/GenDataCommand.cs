using System.CommandLine;
using System.Diagnostics;
using PeterRec.Model.Data;

namespace PeterRec.Cli.Commands;

/// <summary>`peterrec gen-data`: writes the synthetic transfer benchmark (pretrain.csv, rec.csv, cls.csv, README.txt).</summary>
public static class GenDataCommand
{
    public static Command Create()
    {
        var d = new SyntheticOptions();
        var outDir = new Option<string>("--out") { Description = "Directory to write pretrain.csv, rec.csv, cls.csv and README.txt into", Required = true }.OutputDirectory();
        var seed = Int("--seed", "Random seed; the same seed and knobs give byte-identical files", d.Seed);
        var pretrainUsers = Int("--pretrain-users", "Users in pretrain.csv (source domain)", d.PretrainUsers, 1);
        var fineTuneUsers = Int("--finetune-users", "Users in rec.csv and cls.csv (target tasks)", d.FineTuneUsers, 1);
        var sourceItems = Int("--source-items", "Distinct source items", d.SourceItems, 4);
        var targetItems = Int("--target-items", "Distinct target items", d.TargetItems, 2);
        var topics = Int("--topics", "Latent interest topics", d.Topics, 2);
        var classes = Int("--classes", "Profile classes in cls.csv", d.Classes, 2);
        var minLen = Int("--min-len", "Shortest source sequence", d.MinSeqLen, 2);
        var maxLen = Int("--max-len", "Longest source sequence (rows are left-padded with 0 to it)", d.MaxSeqLen, 2);
        var chain = Dbl("--chain-prob", "Chance the next item is the previous item's successor", d.ChainProb);
        var drift = Dbl("--drift-prob", "Chance per step that one interest topic is replaced", d.DriftProb);
        var targetNoise = Dbl("--target-noise", "Chance a target item ignores the user", d.TargetNoise);
        var affinity = Dbl("--profile-affinity", "Chance an interest comes from the class's topic group (label signal strength)", d.ProfileAffinity);
        var overlap = new Option<bool>("--finetune-from-pretrain") { Description = "Draw fine-tune users from the pretrain users instead of fresh users" };
        var eventLog = new Option<bool>("--event-log") { Description = "Also write the data as an event log: events.csv (user,item,ts) and rec_labels.csv, cls_labels.csv (user,label,ts)" };

        var cmd = new Command("gen-data", "Generate the synthetic source->target transfer benchmark");
        foreach (Option o in new Option[] { outDir, seed, pretrainUsers, fineTuneUsers, sourceItems, targetItems, topics, classes,
                     minLen, maxLen, chain, drift, targetNoise, affinity, overlap, eventLog })
            cmd.Options.Add(o);

        cmd.SetAction(parse =>
        {
            var options = d with
            {
                Seed = parse.GetValue(seed),
                PretrainUsers = parse.GetValue(pretrainUsers),
                FineTuneUsers = parse.GetValue(fineTuneUsers),
                SourceItems = parse.GetValue(sourceItems),
                TargetItems = parse.GetValue(targetItems),
                Topics = parse.GetValue(topics),
                Classes = parse.GetValue(classes),
                MinSeqLen = parse.GetValue(minLen),
                MaxSeqLen = parse.GetValue(maxLen),
                ChainProb = parse.GetValue(chain),
                DriftProb = parse.GetValue(drift),
                TargetNoise = parse.GetValue(targetNoise),
                ProfileAffinity = parse.GetValue(affinity),
                FineTuneFromPretrain = parse.GetValue(overlap),
                EventLog = parse.GetValue(eventLog),
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                parse.InvocationConfiguration.Error.WriteLine($"gen-data: {e.Message}");
                return 2;
            }
            var sw = Stopwatch.StartNew();
            var summary = SyntheticTransfer.Generate(parse.GetValue(outDir)!, options);
            parse.InvocationConfiguration.Output.WriteLine($"{summary} in {sw.Elapsed.TotalSeconds:F2} s");
            return 0;
        });
        return cmd;
    }

    private static Option<int> Int(string name, string description, int fallback, int min = int.MinValue) =>
        new Option<int>(name) { Description = description, DefaultValueFactory = _ => fallback }.AtLeast(min);

    /// <summary>Every double knob of the generator is a probability.</summary>
    private static Option<double> Dbl(string name, string description, double fallback) =>
        new Option<double>(name) { Description = description, DefaultValueFactory = _ => fallback }.Must(v => v is >= 0 and <= 1, "a probability from 0 to 1");
}
