namespace PeterRec.Hosting;

/// <summary>Health check tags: <c>/healthz</c> runs the live checks, <c>/readyz</c> the ready ones.</summary>
public static class HealthTags
{
    public const string Live = "live";
    public const string Ready = "ready";
}
