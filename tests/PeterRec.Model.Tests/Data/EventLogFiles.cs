using PeterRec.Model.Data.Events;

namespace PeterRec.Model.Tests.Data;

/// <summary>Reads small event logs written by a test.</summary>
internal static class EventLogFiles
{
    public static ClickSequences Clicks(TempDir dir, string text, EventLogOptions? options = null, string name = "events.csv") =>
        ClickSequences.Read(dir.Write(name, text), options ?? new EventLogOptions());

    /// <summary>Each user's items, oldest first, in output order: "user: i1 i2 ...".</summary>
    public static string[] Sequences(ClickSequences s)
    {
        var users = Enumerable.Range(0, s.Store.Users).Where(u => s.Store.Count(u) > 0).Select(s.User).ToList();
        return s.ToPretrainRows().Select((r, i) => $"{users[i]}: {string.Join(' ', r.Items)}").ToArray();
    }
}
