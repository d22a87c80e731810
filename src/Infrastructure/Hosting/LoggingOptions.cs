using System.ComponentModel.DataAnnotations;

namespace PeterRec.Hosting;

/// <summary>How a role writes its logs to stdout (configuration section <c>Logging</c>, beside .NET's own
/// <c>Logging:LogLevel</c>).</summary>
public sealed class LoggingOptions
{
    public const string Section = "Logging";

    /// <summary>(string) <c>text</c>: one human-readable line per entry (the default); <c>json</c>: one JSON object per
    /// line with a UTC ISO-8601 timestamp, category, level, message and its structured fields, for a log collector.</summary>
    [Required, RegularExpression("^(text|json)$", ErrorMessage = "Logging:Format must be text or json")]
    public string Format { get; set; } = "text";

    public bool IsJson => Format == "json";
}
