using PeterRec.Cli.Commands;

namespace PeterRec.Model.Tests.Data;

/// <summary>The commands' event-log options: one data source, labels only with an event log, readable summaries.</summary>
public class EventLogCommandTests
{
    private static int Run(params string[] args) =>
        CliApp.Run(args, new System.CommandLine.InvocationConfiguration { Output = new StringWriter(), Error = new StringWriter() });

    [Fact]
    public void Pretrain_takes_exactly_one_of_a_sequence_csv_and_an_event_log()
    {
        using var dir = new TempDir();
        var events = dir.Write("e.csv", "user,item,ts\nu1,a,1\nu1,b,2\n");
        var csv = dir.Write("p.csv", "a,b\n");
        Assert.Equal(2, Run("pretrain", "--out", dir.File("bb")));
        Assert.Equal(2, Run("pretrain", "--data", csv, "--events", events, "--out", dir.File("bb")));
        Assert.False(Directory.Exists(dir.File("bb")));
    }

    [Fact]
    public void Finetune_from_an_event_log_needs_labels_and_labels_need_an_event_log()
    {
        using var dir = new TempDir();
        var events = dir.Write("e.csv", "user,item,ts\nu1,a,1\n");
        var labels = dir.Write("l.csv", "user,label,ts\nu1,t,2\n");
        Assert.Equal(2, Run("finetune", "--backbone", dir.Path, "--events", events, "--out", dir.File("t")));
        Assert.Equal(2, Run("finetune", "--backbone", dir.Path, "--data", events, "--labels", labels, "--out", dir.File("t")));
    }

    [Fact]
    public void Bad_until_and_a_bad_row_exit_with_a_user_error()
    {
        using var dir = new TempDir();
        var events = dir.Write("e.csv", "user,item,ts\nu1,a,1\nu1,b,soon\n");
        Assert.Equal(2, Run("inspect-events", "--events", events, "--until", "next week"));
        Assert.Equal(2, Run("inspect-events", "--events", events));
        Assert.Equal(0, Run("inspect-events", "--events", events, "--skip-bad-rows"));
    }

    [Fact]
    public void Pretrain_from_kafka_takes_no_file_and_the_kafka_options_need_it()
    {
        using var dir = new TempDir();
        var events = dir.Write("e.csv", "user,item,ts\nu1,a,1\nu1,b,2\n");
        Assert.Equal(2, Run("pretrain", "--from-kafka", "--events", events, "--bootstrap-servers", "127.0.0.1:1", "--out", dir.File("bb")));
        Assert.Equal(2, Run("pretrain", "--events", events, "--topic", "clicks", "--out", dir.File("bb")));
        Assert.Equal(2, Run("pretrain", "--from-kafka", "--bootstrap-servers", "127.0.0.1:1", "--since", "whenever", "--out", dir.File("bb")));
        Assert.False(Directory.Exists(dir.File("bb")));
    }

    [Fact]
    public void Produce_and_run_refuse_labels_without_an_event_log()
    {
        using var dir = new TempDir();
        var labels = dir.Write("l.csv", "user,label,ts\nu1,t,2\n");
        Assert.Equal(2, Run("run", "--labels", labels, "--work-dir", dir.File("w")));
        Assert.Equal(2, Run("run", "--events", labels, "--work-dir", dir.File("w")));   // no --backbone
        Assert.NotEqual(0, Run("produce", "--labels", labels, "--synthetic", "5"));
        Assert.False(Directory.Exists(dir.File("w")));
    }
}
