using System.CommandLine;
using Microsoft.Extensions.Configuration;
using PeterRec.Redis;

namespace PeterRec.Cli.Commands;

/// <summary>
/// The Redis options of the commands that read Redis directly (<c>recs</c>, <c>patch</c>): <c>--redis</c> and
/// <c>--key-prefix</c> over <c>PETERREC_Redis__*</c> environment variables, as the roles read them.
/// </summary>
public sealed class RedisArgs
{
    private readonly Option<string?> _redis = new("--redis") { Description = "Redis HOST:PORT (Redis:Configuration)" };
    private readonly Option<string?> _prefix = new("--key-prefix") { Description = "Redis key prefix (Redis:KeyPrefix)" };

    public static RedisArgs AddTo(Command command)
    {
        var a = new RedisArgs();
        command.Options.Add(a._redis);
        command.Options.Add(a._prefix);
        return a;
    }

    public RedisOptions Options(ParseResult r)
    {
        var overrides = new Dictionary<string, string?>();
        if (r.GetValue(_redis) is { } rc) overrides["Redis:Configuration"] = rc;
        if (r.GetValue(_prefix) is { } p) overrides["Redis:KeyPrefix"] = p;
        var config = new ConfigurationBuilder().AddEnvironmentVariables("PETERREC_").AddInMemoryCollection(overrides).Build();
        return config.GetSection(RedisOptions.Section).Get<RedisOptions>() ?? new RedisOptions();
    }
}
