using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace PeterRec.Deploy.Tests.Infrastructure;

/// <summary>
/// An empty Kubernetes API server as far as client-side dry runs need one. <c>kubectl apply --dry-run=client</c> and
/// <c>helm install --dry-run=client</c> cannot run without a server: they read <c>/version</c> and the discovery
/// documents to map each object's apiVersion/kind to a resource, then GET each object to see whether it exists.
/// This answers exactly that: the API groups a Kubernetes 1.25 cluster with the Prometheus Operator's CRDs serves
/// (for the kinds a chart like ours uses), and 404 for every object. The parsing, mapping and rendering are the real
/// tools'; an apiVersion a 1.25 cluster no longer serves (autoscaling/v2beta2, policy/v1beta1) fails as it would there.
/// Anything that would write is refused.
/// </summary>
internal sealed class KubeApiDiscovery : IDisposable
{
    /// <summary>groupVersion -> (resource, kind, namespaced).</summary>
    private static readonly Dictionary<string, (string Resource, string Kind, bool Namespaced)[]> Served = new(StringComparer.Ordinal)
    {
        ["v1"] =
        [
            ("configmaps", "ConfigMap", true), ("secrets", "Secret", true), ("services", "Service", true),
            ("serviceaccounts", "ServiceAccount", true), ("persistentvolumeclaims", "PersistentVolumeClaim", true),
            ("pods", "Pod", true), ("namespaces", "Namespace", false),
        ],
        ["apps/v1"] = [("deployments", "Deployment", true), ("statefulsets", "StatefulSet", true), ("daemonsets", "DaemonSet", true)],
        ["batch/v1"] = [("jobs", "Job", true), ("cronjobs", "CronJob", true)],
        ["autoscaling/v2"] = [("horizontalpodautoscalers", "HorizontalPodAutoscaler", true)],
        ["autoscaling/v1"] = [("horizontalpodautoscalers", "HorizontalPodAutoscaler", true)],
        ["policy/v1"] = [("poddisruptionbudgets", "PodDisruptionBudget", true)],
        ["networking.k8s.io/v1"] = [("networkpolicies", "NetworkPolicy", true), ("ingresses", "Ingress", true)],
        ["rbac.authorization.k8s.io/v1"] = [("roles", "Role", true), ("rolebindings", "RoleBinding", true)],
        ["scheduling.k8s.io/v1"] = [("priorityclasses", "PriorityClass", false)],
        ["monitoring.coreos.com/v1"] = [("servicemonitors", "ServiceMonitor", true), ("prometheusrules", "PrometheusRule", true), ("podmonitors", "PodMonitor", true)],
    };

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly string _gitVersion;
    private readonly List<string> _requests = [];

    public KubeApiDiscovery(string gitVersion = "v1.25.16")
    {
        _gitVersion = gitVersion;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _loop = Task.Run(AcceptAsync);
    }

    /// <summary>For <c>kubectl --server</c> / <c>helm --kube-apiserver</c>.</summary>
    public string Url { get; }

    /// <summary>"GET /path" of every request so far.</summary>
    public IReadOnlyList<string> Requests { get { lock (_requests) return [.. _requests]; } }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true) connections.Add(ServeAsync(await _listener.AcceptTcpClientAsync(_stop.Token)));
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { }
        await Task.WhenAll(connections);
    }

    /// <summary>HTTP/1.1 with keep-alive: the Go clients reuse a connection for discovery, then the object GETs.</summary>
    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var reader = new StreamReader(stream, Encoding.ASCII, false, 4096, leaveOpen: true);
            while (await reader.ReadLineAsync(_stop.Token) is { Length: > 0 } requestLine)
            {
                var length = 0;
                while (await reader.ReadLineAsync(_stop.Token) is { Length: > 0 } header)
                    if (header.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) length = int.Parse(header[15..].Trim());
                if (length > 0) await reader.ReadBlockAsync(new char[length], _stop.Token);
                var parts = requestLine.Split(' ');
                var (method, path) = (parts[0], parts[1].Split('?')[0]);
                lock (_requests) _requests.Add($"{method} {path}");
                var (status, body) = method == "GET"
                    ? Answer(path)
                    : (405, Status(405, "MethodNotAllowed", "this discovery-only API server refuses writes"));
                var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
                var head = $"HTTP/1.1 {status} {(status == 200 ? "OK" : status == 404 ? "Not Found" : "Method Not Allowed")}\r\n" +
                           $"Content-Type: application/json\r\nContent-Length: {bytes.Length}\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
                await stream.WriteAsync(bytes, _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
    }

    private (int, JsonNode) Answer(string path)
    {
        if (path == "/version")
        {
            var parts = _gitVersion.TrimStart('v').Split('.');
            return (200, new JsonObject { ["major"] = parts[0], ["minor"] = parts[1], ["gitVersion"] = _gitVersion, ["platform"] = "linux/amd64" });
        }
        if (path == "/api") return (200, new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1") });
        if (path == "/apis")
        {
            var groups = new JsonArray();
            foreach (var group in Served.Keys.Where(gv => gv.Contains('/')).GroupBy(gv => gv.Split('/')[0]))
            {
                var versions = group.Select(gv => (JsonNode)new JsonObject { ["groupVersion"] = gv, ["version"] = gv.Split('/')[1] }).ToArray();
                groups.Add(new JsonObject { ["name"] = group.Key, ["versions"] = new JsonArray(versions), ["preferredVersion"] = versions[0].DeepClone() });
            }
            return (200, new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups });
        }
        var gv = path.StartsWith("/api/", StringComparison.Ordinal) ? path["/api/".Length..] : path.StartsWith("/apis/", StringComparison.Ordinal) ? path["/apis/".Length..] : null;
        if (gv is not null && Collection(gv) is { } empty) return (200, empty);
        if (gv is not null && Served.TryGetValue(gv, out var resources))
        {
            var list = new JsonArray(resources.Select(r => (JsonNode)new JsonObject
            {
                ["name"] = r.Resource, ["singularName"] = r.Kind.ToLowerInvariant(), ["namespaced"] = r.Namespaced, ["kind"] = r.Kind,
                ["verbs"] = new JsonArray("create", "delete", "get", "list", "patch", "update", "watch"),
            }).ToArray());
            return (200, new JsonObject { ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = gv, ["resources"] = list });
        }
        return (404, Status(404, "NotFound", $"{path} not found"));
    }

    /// <summary>
    /// A collection of a served resource (.../namespaces/NS/RESOURCE or .../RESOURCE): empty, as in a cluster where
    /// nothing exists yet (helm lists its release Secrets this way). A single object is not found (404).
    /// </summary>
    private static JsonObject? Collection(string groupVersionAndRest)
    {
        foreach (var (groupVersion, resources) in Served)
        {
            if (!groupVersionAndRest.StartsWith(groupVersion + "/", StringComparison.Ordinal)) continue;
            var rest = groupVersionAndRest[(groupVersion.Length + 1)..].Split('/');
            var resource = rest is ["namespaces", _, var r] ? r : rest is [var r2] ? r2 : null;
            var match = resources.FirstOrDefault(x => x.Resource == resource);
            if (match.Kind is null) continue;
            return new JsonObject
            {
                ["kind"] = match.Kind + "List", ["apiVersion"] = groupVersion, ["metadata"] = new JsonObject { ["resourceVersion"] = "1" }, ["items"] = new JsonArray(),
            };
        }
        return null;
    }

    private static JsonObject Status(int code, string reason, string message) => new()
    {
        ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Failure", ["reason"] = reason, ["code"] = code, ["message"] = message,
    };

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
