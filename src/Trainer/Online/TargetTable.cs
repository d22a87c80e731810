namespace PeterRec.Trainer.Online;

/// <summary>
/// The open target label space of an online task, mapped onto the rows of a fixed-capacity target embedding table.
/// </summary>
/// <remarks>
/// The model's head is a <c>[capacity, channels]</c> table built once; a label seen for the first time takes the next
/// free row and keeps it for the life of the task (the mapping is saved in every checkpoint and published with every
/// version, so serving can name rows). Once every row is taken, new labels are refused (counted, not trained) rather
/// than evicting a row that serving may still be showing. A closed table (given classes, e.g. for "cls") refuses
/// labels outside the given set from the start.
/// </remarks>
public sealed class TargetTable
{
    private readonly Dictionary<string, int> _rows = new(StringComparer.Ordinal);
    private readonly List<string> _labels = [];

    public TargetTable(int capacity, bool closed = false, IEnumerable<string>? labels = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        foreach (var l in labels ?? []) Add(l);
        Closed = closed;
    }

    public int Capacity { get; }

    /// <summary>True when only the initial labels are allowed.</summary>
    public bool Closed { get; }

    /// <summary>Rows in use: <c>[0, Count)</c>.</summary>
    public int Count => _labels.Count;

    public IReadOnlyList<string> Labels => _labels;

    public bool TryGetRow(string label, out int row) => _rows.TryGetValue(label, out row);

    /// <summary>The label's row, allocating the next free one for a new label; -1 when the table is closed or full.</summary>
    public int GetOrAdd(string label)
    {
        if (_rows.TryGetValue(label, out var row)) return row;
        if (Closed || _labels.Count >= Capacity) return -1;
        return Add(label);
    }

    private int Add(string label)
    {
        if (string.IsNullOrEmpty(label)) throw new ArgumentException("a target label must not be empty");
        if (_rows.ContainsKey(label)) throw new ArgumentException($"target label '{label}' is listed twice");
        if (_labels.Count >= Capacity) throw new ArgumentException($"{_labels.Count + 1} target labels exceed the table capacity {Capacity}");
        _rows[label] = _labels.Count;
        _labels.Add(label);
        return _labels.Count - 1;
    }
}
