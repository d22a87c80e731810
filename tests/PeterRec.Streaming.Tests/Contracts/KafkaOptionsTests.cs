using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
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
        var producer = factory.CreateProducerConfig();
        Assert.True(producer.EnableIdempotence);
        Assert.Equal(Acks.All, producer.Acks);
    }

    [Fact]
    public void The_default_group_protocol_is_classic_with_the_cooperative_sticky_assignor_and_dynamic_membership()
    {
        var configs = new KafkaClientConfigs(Microsoft.Extensions.Options.Options.Create(new KafkaOptions { BootstrapServers = "h:1" }));
        var consumer = configs.CreateConsumerConfig("g");
        Assert.Equal(GroupProtocol.Classic, consumer.GroupProtocol);
        Assert.Equal(PartitionAssignmentStrategy.CooperativeSticky, consumer.PartitionAssignmentStrategy);
        Assert.Null(consumer.GroupInstanceId);
    }

    [Fact]
    public void The_consumer_protocol_leaves_assignment_to_the_broker_and_static_membership_sets_the_instance_id()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = "h:1", ["Kafka:GroupProtocol"] = "consumer", ["Kafka:GroupInstanceId"] = "ingest-7d9f-x2",
        }).Build();
        var options = configuration.GetSection(KafkaOptions.Section).Get<KafkaOptions>()!;
        var consumer = new KafkaClientConfigs(Microsoft.Extensions.Options.Options.Create(options)).CreateConsumerConfig("g");
        Assert.Equal(GroupProtocol.Consumer, consumer.GroupProtocol);
        Assert.Null(consumer.PartitionAssignmentStrategy);
        Assert.Equal("ingest-7d9f-x2", consumer.GroupInstanceId);
        Assert.Contains("group-protocol=consumer", options.ToString());
    }
}
