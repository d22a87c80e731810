using System.Globalization;
using System.Text;

namespace PeterRec.Model.Training;

/// <summary>
/// The loss/metric curve of a run, written beside its output as CSV (one row per epoch) and as a
/// small dependency-free SVG plot: loss on the left axis, the validation metric on the right.
/// </summary>
public sealed class TrainingCurve(string metricName)
{
    private readonly List<(int Epoch, long Step, double Loss, double? Metric)> rows = [];

    public void Add(int epoch, long step, double loss, double? metric) => rows.Add((epoch, step, loss, metric));

    public IReadOnlyList<(int Epoch, long Step, double Loss, double? Metric)> Rows => rows;

    public void Write(string basePath)
    {
        var inv = CultureInfo.InvariantCulture;
        var csv = new StringBuilder($"epoch,step,train_loss,valid_{metricName}\n");
        foreach (var r in rows)
            csv.Append(inv, $"{r.Epoch},{r.Step},{r.Loss:G6},{(r.Metric is { } m ? m.ToString("G6", inv) : "")}\n");
        File.WriteAllText(basePath + ".csv", csv.ToString());
        File.WriteAllText(basePath + ".svg", Svg());
    }

    private string Svg()
    {
        const double W = 640, H = 360, L = 60, R = 60, T = 30, B = 40;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        sb.Append(inv, $"<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n");
        sb.Append(inv, $"<rect x=\"{L}\" y=\"{T}\" width=\"{W - L - R}\" height=\"{H - T - B}\" fill=\"none\" stroke=\"#999\"/>\n");
        if (rows.Count > 0)
        {
            int maxEpoch = Math.Max(1, rows.Max(r => r.Epoch));
            double X(int e) => L + (W - L - R) * (rows.Count == 1 ? 0.5 : (e - rows.Min(r => r.Epoch)) / (double)Math.Max(1, maxEpoch - rows.Min(r => r.Epoch)));
            void Series(IEnumerable<(int Epoch, double V)> pts, string color, string label, bool right)
            {
                var list = pts.Where(p => double.IsFinite(p.V)).ToList();
                if (list.Count == 0) return;
                double lo = list.Min(p => p.V), hi = list.Max(p => p.V);
                if (hi - lo < 1e-12) { hi += 0.5; lo -= 0.5; }
                double Y(double v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
                sb.Append($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"");
                foreach (var p in list) sb.Append(inv, $"{X(p.Epoch):F1},{Y(p.V):F1} ");
                sb.Append("\"/>\n");
                double ax = right ? W - R + 4 : 4;
                sb.Append(inv, $"<text x=\"{ax}\" y=\"{T + 10}\" fill=\"{color}\">{hi:G4}</text>\n");
                sb.Append(inv, $"<text x=\"{ax}\" y=\"{H - B}\" fill=\"{color}\">{lo:G4}</text>\n");
                sb.Append(inv, $"<text x=\"{(right ? W - R - 150 : L + 5)}\" y=\"{T - 10}\" fill=\"{color}\">{label}</text>\n");
            }
            Series(rows.Select(r => (r.Epoch, r.Loss)), "#1f77b4", "train loss", right: false);
            Series(rows.Where(r => r.Metric.HasValue).Select(r => (r.Epoch, r.Metric!.Value)), "#d62728", $"valid {metricName}", right: true);
            sb.Append(inv, $"<text x=\"{W / 2 - 20}\" y=\"{H - 10}\">epoch (1..{maxEpoch})</text>\n");
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }
}
