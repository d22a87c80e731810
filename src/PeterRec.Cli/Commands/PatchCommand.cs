using System.CommandLine;
using System.Globalization;
using PeterRec.Contracts;
using PeterRec.Redis;
using PeterRec.Trainer.Publishing;
using StackExchange.Redis;

namespace PeterRec.Cli.Commands;

/// <summary>
/// <c>peterrec patch list|rollback</c>: the published versions of a task's weights held in Redis, and rolling back to
/// one of them (republished as a new, higher version; see <see cref="VersionHistory"/>).
/// </summary>
public static class PatchCommand
{
    public static Command Create()
    {
        var cmd = new Command("patch", "Published versions of a task's weights in Redis: list them, roll back to one");
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(Rollback());
        return cmd;
    }

    private static Option<string> TaskOption() => new("--task") { Description = "Task", Required = true };

    private static Command List()
    {
        var task = TaskOption();
        var json = new Option<bool>("--json") { Description = "One JSON manifest per line instead of a table" };
        var cmd = new Command("list", "List the versions held in Redis, newest first: step, time, prequential metric at publish, gate verdict")
            { task };
        var redis = RedisArgs.AddTo(cmd);
        cmd.Options.Add(json);
        cmd.SetAction((r, ct) => WithHistory(r, redis, async history =>
        {
            var held = await history.ListAsync(r.GetValue(task)!);
            if (held.Count == 0) { await Console.Error.WriteLineAsync($"task '{r.GetValue(task)}' has no published version in Redis"); return 1; }
            if (r.GetValue(json)) { foreach (var h in held) Console.WriteLine(h.Manifest.ToJson()); return 0; }
            Console.WriteLine($"{"version",8}  {"step",8}  {"created (UTC)",-20}  {"prequential",-18}  {"popularity",10}  {"gate",-28}  note");
            foreach (var h in held) Console.WriteLine(Row(h));
            return 0;
        }));
        return cmd;
    }

    private static Command Rollback()
    {
        var task = TaskOption();
        var to = new Option<long>("--to") { Description = "The version whose weights to serve again", Required = true };
        var cmd = new Command("rollback", "Republish version V's weights as a new, higher version: serving swaps to it, the trainer continues from it")
            { task };
        var redis = RedisArgs.AddTo(cmd);
        cmd.Options.Add(to);
        cmd.SetAction((r, ct) => WithHistory(r, redis, async history =>
        {
            if (r.GetValue(to) < 1) throw new ArgumentException($"--to {r.GetValue(to)}: expected a version number >= 1");
            var result = await history.RollbackAsync(r.GetValue(task)!, r.GetValue(to), ct);
            Console.WriteLine($"task {r.GetValue(task)}: rolled back to version {result.To}, published as version {result.Version} (latest was {result.PreviousLatest})");
            return 0;
        }));
        return cmd;
    }

    private static async Task<int> WithHistory(ParseResult r, RedisArgs redis, Func<VersionHistory, Task<int>> action)
    {
        var o = redis.Options(r);
        try
        {
            using var connection = await ConnectionMultiplexer.ConnectAsync(RedisConnectionFactory.BuildConfiguration(o));
            return await action(new VersionHistory(connection, new RedisKeys(o.KeyPrefix)));
        }
        catch (Exception e) when (e is RedisException or ArgumentException or InvalidDataException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 2;
        }
    }

    private static string Row(HeldVersion h)
    {
        var m = h.Manifest;
        var created = DateTimeOffset.FromUnixTimeMilliseconds(m.CreatedMs).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var quality = m.Prequential is { } q ? string.Create(CultureInfo.InvariantCulture, $"{q.Metric} {q.Value:F4} /{q.Events}") : "-";
        var baseline = m.Prequential?.Baseline is { } b ? b.ToString("F4", CultureInfo.InvariantCulture) : "-";
        var gate = m.Gate is { } g
            ? g.Candidate is { } c && g.Published is { } p ? string.Create(CultureInfo.InvariantCulture, $"{g.Reason} {c:F3} vs {p:F3} /{g.Events}") : g.Reason
            : "-";
        var note = string.Join(", ", new[] { m.RollbackOf is { } of ? $"rollback of v{of}" : null, h.Latest ? "latest" : null }.Where(n => n is not null));
        return $"{h.Version,8}  {m.Step,8}  {created,-20}  {quality,-18}  {baseline,10}  {gate,-28}  {note}";
    }
}
