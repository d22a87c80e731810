namespace PeterRec.Model.Data.Events;

/// <summary>
/// What one row of an event file holds besides its user and time: an item (a click log) or a label (a
/// labels file). Names the CSV header columns recognised without a flag and the JSON field.
/// </summary>
/// <param name="Role">"item" or "label": used in messages.</param>
/// <param name="JsonField">The JSON lines field holding the value: "item" as the clicks topic, "label" as the task-events topic.</param>
/// <param name="HeaderNames">Recognised header names, by preference: a group matching first wins; two matches in one group are ambiguous.</param>
/// <param name="Task">Labels only: JSON rows with a "task" field for another task are ignored (and counted).</param>
public sealed record EventSchema(string Role, string JsonField, string[][] HeaderNames, string? Task)
{
    public static readonly string[] UserNames = ["user", "user_id", "userId"];
    public static readonly string[] ItemNames = ["item", "item_id", "itemId", "movie_id"];
    public static readonly string[] TimeNames = ["ts", "timestamp", "time"];
    public static readonly string[] LabelNames = ["label", "target", "class"];

    /// <summary>A click log: user, item, time (the clicks topic: <c>{"user","item","ts"}</c>).</summary>
    public static EventSchema Clicks { get; } = new("item", "item", [ItemNames], null);

    /// <summary>A labels file: user, label, time (the task-events topic: <c>{"user","task","label","ts"}</c>); an item column serves as the label when no label column exists.</summary>
    public static EventSchema Labels(string task) => new("label", "label", [LabelNames, ItemNames], task);
}
