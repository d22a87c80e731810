using System.CommandLine;
using PeterRec.Serving.Hosting;

namespace PeterRec.Cli.Commands;

/// <summary><c>peterrec serve</c>: the Serving role (changed users -> representations and top-N recommendations in Redis).</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var o = RoleOptions.Common();
        o.Add(new Option<string?>("--backbone") { Description = "Pretrained backbone directory, shared by all tasks (Serving:BackboneDir)" }.ExistingDirectory(), "Serving:BackboneDir");
        o.AddList(new Option<string[]>("--tasks") { Description = "Tasks to serve, e.g. rec,cls (Serving:Tasks)", AllowMultipleArgumentsPerToken = true }, "Serving:Tasks");
        o.Add(new Option<int?>("--top-n") { Description = "Recommendations per user and task (Serving:TopN)" }.Between(1, 10_000), "Serving:TopN");
        o.Add(new Option<string?>("--group") { Description = "Consumer group over changed users (Serving:GroupId)" }, "Serving:GroupId");
        o.Add(new Option<string?>("--device") { Description = "auto, cpu or cuda (Serving:Device)" }.OneOfIfGiven("auto", "cpu", "cuda"), "Serving:Device");
        o.Add(new Option<int?>("--threads") { Description = "libtorch threads, 0 = default (Serving:Threads)" }.Between(0, 1024), "Serving:Threads");
        o.Add(new Option<int?>("--recs-ttl") { Description = "Seconds until written recommendations expire, 0 = never (Redis:RecsTtlSeconds)" }.AtLeast(0), "Redis:RecsTtlSeconds");
        var cmd = new Command("serve", "Run the Serving role: score changed users with each task's current published version, write recommendations to Redis");
        o.AddTo(cmd);
        cmd.SetAction(async (parseResult, ct) => await RoleRunner.RunAsync(ServingHost.Build([], o.Overrides(parseResult)), ct));
        return cmd;
    }
}
