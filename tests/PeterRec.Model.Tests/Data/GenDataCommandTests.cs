using System.CommandLine;
using PeterRec.Cli.Commands;
using PeterRec.Model.Data;

namespace PeterRec.Model.Tests.Data;

public class GenDataCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = CliApp.Run(args, new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Gen_data_writes_the_same_files_as_the_library_and_prints_one_line()
    {
        using var cli = new TempDir();
        using var lib = new TempDir();
        var (code, stdout, _) = Run("gen-data", "--out", cli.Path, "--seed", "11", "--pretrain-users", "150",
            "--finetune-users", "80", "--source-items", "120", "--target-items", "40", "--topics", "8", "--classes", "4",
            "--min-len", "5", "--max-len", "12", "--chain-prob", "0.3", "--finetune-from-pretrain");
        Assert.Equal(0, code);
        Assert.Single(stdout.TrimEnd().Split('\n'));
        Assert.Contains("pretrain.csv 150 users", stdout);

        SyntheticTransfer.Generate(lib.Path, new SyntheticOptions(Seed: 11, PretrainUsers: 150, FineTuneUsers: 80, SourceItems: 120,
            TargetItems: 40, Topics: 8, Classes: 4, MinSeqLen: 5, MaxSeqLen: 12, ChainProb: 0.3, FineTuneFromPretrain: true));
        foreach (var f in new[] { "pretrain.csv", "rec.csv", "cls.csv", "README.txt" })
            Assert.Equal(File.ReadAllBytes(lib.File(f)), File.ReadAllBytes(cli.File(f)));
    }

    [Fact]
    public void Invalid_knob_exits_nonzero_naming_it()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = Run("gen-data", "--out", dir.Path, "--topics", "1");
        Assert.Equal(2, code);
        Assert.Contains("--topics", stderr);
    }

    [Fact]
    public void Missing_out_is_a_usage_error()
    {
        var (code, _, _) = Run("gen-data", "--seed", "3");
        Assert.NotEqual(0, code);
    }
}
