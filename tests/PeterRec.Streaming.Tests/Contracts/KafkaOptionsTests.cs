using System.ComponentModel.DataAnnotations;
using Confluent.Kafka;
using PeterRec.Kafka;

namespace PeterRec.Streaming.Tests.Contracts;

public class KafkaOptionsTests
{
    private static List<ValidationResult> Validate(KafkaOptions o)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(o, new ValidationContext(o), results, validateAllProperties: true);
        return results;
    }

    [Fact]
    public void Exactly_one_bootstrap_source_is_required()
    {
        Assert.Empty(Validate(new KafkaOptions { BootstrapServers = "h:9092" }));
        Assert.Empty(Validate(new KafkaOptions { BootstrapFile = "/tmp/bs" }));
        Assert.NotEmpty(Validate(new KafkaOptions()));
        Assert.NotEmpty(Validate(new KafkaOptions { BootstrapServers = "h:9092", BootstrapFile = "/tmp/bs" }));
    }

    [Fact]
    public void Sasl_without_credentials_refuses_to_start()
    {
        var o = new KafkaOptions { BootstrapServers = "h:9093", SecurityProtocol = SecurityProtocol.SaslSsl, SaslMechanism = SaslMechanism.ScramSha512 };
        Assert.Contains(Validate(o), r => r.ErrorMessage!.Contains("SaslPassword"));
        o.SaslUsername = "svc";
        o.SaslPassword = "s3cret";
        Assert.Empty(Validate(o));
    }

    [Fact]
    public void Secrets_never_appear_in_to_string()
    {
        var text = new KafkaOptions { BootstrapServers = "h", SaslUsername = "svc", SaslPassword = "s3cret" }.ToString();
        Assert.DoesNotContain("s3cret", text);
        Assert.Contains("***", text);
    }

    [Fact]
    public void Consumer_config_stores_offsets_only_explicitly()
    {
        var factory = new KafkaClientConfigs(Microsoft.Extensions.Options.Options.Create(new KafkaOptions { BootstrapServers = "h:1" }));
        var consumer = factory.CreateConsumerConfig("g");
        Assert.False(consumer.EnableAutoOffsetStore);
        Assert.Equal(GroupProtocol.Consumer, consumer.GroupProtocol);
        var producer = factory.CreateProducerConfig();
        Assert.True(producer.EnableIdempotence);
        Assert.Equal(Acks.All, producer.Acks);
    }
}
