using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using PeterRec.Contracts;

namespace PeterRec.Kafka;

/// <summary>Kafka settings outside a role's host (one-shot commands, harnesses): <c>PETERREC_Kafka__*</c> and
/// <c>PETERREC_Topics__*</c> environment variables, then the given overrides, validated like a role validates them.</summary>
public static class KafkaSettings
{
    /// <exception cref="OptionsValidationException">The settings are incomplete or contradictory.</exception>
    public static (KafkaClientConfigs Configs, TopicOptions Topics) FromEnvironment(string? bootstrapServers, string? bootstrapFile)
    {
        var overrides = new Dictionary<string, string?>();
        if (bootstrapServers is not null) overrides["Kafka:BootstrapServers"] = bootstrapServers;
        if (bootstrapFile is not null) overrides["Kafka:BootstrapFile"] = bootstrapFile;
        var config = new ConfigurationBuilder().AddEnvironmentVariables("PETERREC_").AddInMemoryCollection(overrides).Build();
        var kafka = config.GetSection(KafkaOptions.Section).Get<KafkaOptions>() ?? new KafkaOptions();
        var topics = config.GetSection(TopicOptions.Section).Get<TopicOptions>() ?? new TopicOptions();
        var errors = new List<ValidationResult>();
        Validator.TryValidateObject(kafka, new ValidationContext(kafka), errors, validateAllProperties: true);
        if (errors.Count > 0) throw new OptionsValidationException(KafkaOptions.Section, typeof(KafkaOptions), errors.Select(e => e.ErrorMessage!));
        return (new KafkaClientConfigs(Options.Create(kafka)), topics);
    }
}
