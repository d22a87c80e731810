using System.CommandLine;
using System.Text.Json;
using PeterRec.Model.Data.Events;

namespace PeterRec.Cli.Commands;

/// <summary>`peterrec inspect-events`: reads an event log as `pretrain --events` (or, with --labels, as `finetune --events`) would and prints what it gives, without training.</summary>
public static class InspectEventsCommand
{
    public static Command Create()
    {
        var task = new Option<string>("--task") { Description = "With --labels: rec | cls (JSON labels of other tasks are ignored)", DefaultValueFactory = _ => "rec" }.OneOf("rec", "cls");
        var skipBad = new Option<bool>("--skip-bad-rows") { Description = "Skip malformed rows (counted) instead of stopping at the first" };
        var cmd = new Command("inspect-events", "Read an event log (and labels) as pretrain/finetune --events would; print the summary as JSON") { task, skipBad };
        var events = EventLogArgs.AddTo(cmd, labels: true);
        cmd.SetAction(r => CommandGuard.Run(() =>
        {
            var path = events.RequiredEventsPath(r);
            var options = events.Options(r, r.GetValue(skipBad));
            var summary = events.OptionalLabelsPath(r) is { } labels
                ? LabelledHistories.Read(path, labels, r.GetValue(task)!, options).Summary
                : ClickSequences.Read(path, options).Summary;
            Console.WriteLine(JsonSerializer.Serialize(summary));
            return 0;
        }));
        return cmd;
    }
}
