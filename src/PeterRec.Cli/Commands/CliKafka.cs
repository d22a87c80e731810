using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using PeterRec.Common.Contracts;
using PeterRec.Common.Kafka;

namespace PeterRec.Cli.Commands;

/// <summary>Kafka settings for one-shot commands: <c>PETERREC_Kafka__*</c>/<c>PETERREC_Topics__*</c> environment, then options.</summary>
internal static class CliKafka
{
    public static (KafkaClientFactory Factory, TopicOptions Topics) Create(string? bootstrapServers, string? bootstrapFile)
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
        return (new KafkaClientFactory(Options.Create(kafka)), topics);
    }
}
