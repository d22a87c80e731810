using System.CommandLine;
using PeterRec.Contracts;
using PeterRec.Redis;
using StackExchange.Redis;

namespace PeterRec.Cli.Commands;

/// <summary><c>peterrec recs USER</c>: prints a user's recommendations for a task as Serving wrote them.</summary>
public static class RecsCommand
{
    public static Command Create()
    {
        var user = new Argument<string>("user") { Description = "User id" };
        var task = new Option<string>("--task") { Description = "Task", DefaultValueFactory = _ => "rec" };
        var json = new Option<bool>("--json") { Description = "Print the stored JSON value as is" };
        var cmd = new Command("recs", "Print a user's recommendations from Redis") { user, task };
        var redisArgs = RedisArgs.AddTo(cmd);
        cmd.Options.Add(json);
        cmd.SetAction(async (r, _) =>
        {
            var o = redisArgs.Options(r);
            try
            {
                var key = new RedisKeys(o.KeyPrefix).Recs(r.GetValue(user)!, r.GetValue(task)!);
                using var connection = await ConnectionMultiplexer.ConnectAsync(RedisConnectionFactory.BuildConfiguration(o));
                var value = await connection.GetDatabase().StringGetAsync(key);
                if (value.IsNull)
                {
                    await Console.Error.WriteLineAsync($"no recommendations at {key}");
                    return 1;
                }
                if (r.GetValue(json)) { Console.WriteLine((string?)value); return 0; }
                var recs = RecsValue.Parse((byte[])value!);
                Console.WriteLine($"user {recs.User}  task {recs.Task}  patch v{recs.Version} (step {recs.Step})  " +
                                  $"written {DateTimeOffset.FromUnixTimeMilliseconds(recs.Ts):O}  newest click {DateTimeOffset.FromUnixTimeMilliseconds(recs.ClickTs):O}");
                for (int i = 0; i < recs.Items.Count; i++) Console.WriteLine($"{i + 1,4}  {recs.Items[i].Id,-24} {recs.Items[i].Score,10:F4}");
                return 0;
            }
            catch (Exception e) when (e is RedisException or ArgumentException or InvalidDataException or InvalidOperationException or System.Text.Json.JsonException)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return 2;
            }
        });
        return cmd;
    }
}
