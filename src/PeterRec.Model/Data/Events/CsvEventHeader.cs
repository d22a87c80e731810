namespace PeterRec.Model.Data.Events;

/// <summary>
/// The header of a CSV event file: its delimiter (a tab when the header line has one, else a comma),
/// its field count and where the user, value and time columns are. Columns are found by name,
/// case-insensitively, unless a flag names them; other columns are ignored.
/// </summary>
internal sealed record CsvEventHeader(char Delimiter, string[] Names, int User, int Value, int Time, string Role)
{
    public static CsvEventHeader Parse(string file, int line, ReadOnlySpan<char> text, EventSchema schema, EventLogOptions o)
    {
        var delimiter = text.Contains('\t') ? '\t' : ',';
        var names = new List<string>();
        var fields = new CsvFieldWalker(text, delimiter);
        while (fields.Next(out var raw, out var escaped, out var error))
        {
            if (error is { } e) throw new InvalidDataException($"{file}:{line}: header field {names.Count + 1}: expected {e.Expected}, got '{e.Got}'");
            var name = escaped ? raw.ToString().Replace("\"\"", "\"") : raw.ToString();
            names.Add(name.Trim(' '));
        }
        var all = names.ToArray();
        var user = Find(file, line, all, "user", o.UserColumn, "--user-col", [EventSchema.UserNames]);
        var value = schema.Role == "item"
            ? Find(file, line, all, "item", o.ItemColumn, "--item-col", schema.HeaderNames)
            : Find(file, line, all, "label", o.LabelColumn, "--label-col", schema.HeaderNames);
        var time = Find(file, line, all, "time", o.TimeColumn, "--time-col", [EventSchema.TimeNames]);
        if (user == value || user == time || value == time)
            throw new InvalidDataException($"{file}:{line}: header: the user, {schema.Role} and time columns must be three different columns, got '{all[user]}', '{all[value]}', '{all[time]}'");
        return new CsvEventHeader(delimiter, all, user, value, time, schema.Role);
    }

    private static int Find(string file, int line, string[] names, string role, string? flagValue, string flag, string[][] groups)
    {
        if (flagValue is not null)
        {
            var i = Array.FindIndex(names, n => string.Equals(n, flagValue.Trim(), StringComparison.OrdinalIgnoreCase));
            if (i < 0)
                throw new InvalidDataException($"{file}:{line}: header: expected a column named '{flagValue}' ({flag}), got columns {List(names)}");
            return i;
        }
        foreach (var group in groups)
        {
            var hits = Enumerable.Range(0, names.Length)
                .Where(i => group.Contains(names[i], StringComparer.OrdinalIgnoreCase)).ToList();
            if (hits.Count == 1) return hits[0];
            if (hits.Count > 1)
                throw new InvalidDataException($"{file}:{line}: header: columns {List(hits.Select(i => names[i]))} could each be the {role} column; name one with {flag}");
        }
        throw new InvalidDataException($"{file}:{line}: header: expected a {role} column named {string.Join(" or ", groups.SelectMany(g => g))} " +
            $"(or name it with {flag}), got columns {List(names)}");
    }

    private static string List(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{SequenceRowParser.Show(n)}'"));
}
