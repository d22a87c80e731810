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

    private static KafkaOptions Bind(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return configuration.GetSection(KafkaOptions.Section).Get<KafkaOptions>()!;
    }

    [Fact]
    public void Pass_through_properties_reach_every_client_last_with_underscores_read_as_dots()
    {
        var o = Bind(new()
        {
            ["Kafka:BootstrapServers"] = "h:1",
            ["Kafka:Config:session_timeout_ms"] = "10000",           // as PETERREC_Kafka__Config__session_timeout_ms
            ["Kafka:Config:partition.assignment.strategy"] = "range",
            ["Kafka:Config:client.rack"] = "eu-1a",
        });
        Assert.Empty(Validate(o));
        var configs = new KafkaClientConfigs(Microsoft.Extensions.Options.Options.Create(o));
        var consumer = configs.CreateConsumerConfig("g");
        Assert.Equal(10000, consumer.SessionTimeoutMs);
        Assert.Equal(PartitionAssignmentStrategy.Range, consumer.PartitionAssignmentStrategy); // applied after the default
        Assert.Equal("eu-1a", configs.CreateProducerConfig().ClientRack);
    }

    [Theory]
    [InlineData("group.id", "GroupId")]
    [InlineData("enable_auto_offset_store", "durable")]
    [InlineData("bootstrap.servers", "Kafka:BootstrapServers")]
    [InlineData("group.protocol", "Kafka:GroupProtocol")]
    [InlineData("bad name!", "not a librdkafka property name")]
    public void Pass_through_refuses_properties_the_options_own_and_names_that_are_not_properties(string property, string reason)
    {
        var o = Bind(new() { ["Kafka:BootstrapServers"] = "h:1", [$"Kafka:Config:{property}"] = "x" });
        Assert.Contains(Validate(o), r => r.ErrorMessage!.Contains(reason, StringComparison.Ordinal) && r.ErrorMessage.Contains(property, StringComparison.Ordinal));
    }

    [Fact]
    public void Mutual_tls_and_oidc_settings_reach_the_client_and_refuse_to_start_half_configured()
    {
        var cert = Path.GetTempFileName();
        var key = Path.GetTempFileName();
        try
        {
            var o = new KafkaOptions { BootstrapServers = "h:1", SecurityProtocol = SecurityProtocol.Ssl, SslCertificateLocation = cert };
            Assert.Contains(Validate(o), r => r.ErrorMessage!.Contains("go together", StringComparison.Ordinal));
            o.SslKeyLocation = key;
            o.SslKeyPassword = "kp";
            Assert.Empty(Validate(o));
            o.SecurityProtocol = SecurityProtocol.SaslSsl;
            o.SaslMechanism = SaslMechanism.OAuthBearer;
            o.SaslOauthbearerMethod = SaslOauthbearerMethod.Oidc;
            o.SaslOauthbearerClientId = "peterrec";
            Assert.Contains(Validate(o), r => r.ErrorMessage!.Contains("SaslOauthbearerTokenEndpointUrl", StringComparison.Ordinal));
            o.SaslOauthbearerClientSecret = "cs";
            o.SaslOauthbearerTokenEndpointUrl = "https://idp.example/token";
            o.SaslOauthbearerScope = "kafka";
            Assert.Empty(Validate(o));

            var c = new KafkaClientConfigs(Microsoft.Extensions.Options.Options.Create(o)).CreateConsumerConfig("g");
            Assert.Equal((cert, key, "kp"), (c.SslCertificateLocation, c.SslKeyLocation, c.SslKeyPassword));
            Assert.Equal((SaslOauthbearerMethod.Oidc, "peterrec", "cs", "https://idp.example/token", "kafka"),
                (c.SaslOauthbearerMethod, c.SaslOauthbearerClientId, c.SaslOauthbearerClientSecret, c.SaslOauthbearerTokenEndpointUrl, c.SaslOauthbearerScope));
        }
        finally
        {
            File.Delete(cert);
            File.Delete(key);
        }
    }

    [Fact]
    public void To_string_masks_every_secret_option_and_pass_through_values_whose_names_say_password_secret_or_key()
    {
        var o = new KafkaOptions
        {
            BootstrapServers = "h", SaslPassword = "pw1", SslKeyPassword = "pw2", SaslOauthbearerClientSecret = "pw3",
            Config = new() { ["ssl.keystore.password"] = "pw4", ["sasl_oauthbearer_client_secret"] = "pw5", ["ssl.key.pem"] = "pw6", ["client.rack"] = "rack-1" },
        };
        var text = o.ToString();
        foreach (var secret in new[] { "pw1", "pw2", "pw3", "pw4", "pw5", "pw6" }) Assert.DoesNotContain(secret, text);
        Assert.Contains("client.rack=rack-1", text);
        Assert.Contains("sasl.oauthbearer.client.secret=***", text);
    }
}
