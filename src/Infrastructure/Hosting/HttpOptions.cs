using System.ComponentModel.DataAnnotations;

namespace PeterRec.Hosting;

/// <summary>The role's HTTP endpoint for /healthz, /readyz, /metrics (configuration section <c>Http</c>).</summary>
public sealed class HttpOptions
{
    public const string Section = "Http";

    /// <summary>(int) TCP port; 0 picks a free one (the bound URL is logged).</summary>
    [Range(0, 65535)] public int Port { get; set; }

    /// <summary>(string) listen address; "0.0.0.0" to be scraped from other hosts.</summary>
    [Required] public string BindAddress { get; set; } = "127.0.0.1";
}
