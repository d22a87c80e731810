namespace PeterRec.Contracts;

/// <summary>Either a parsed event or the reason it was rejected (never both).</summary>
public readonly record struct ParseResult<T>(T? Value, DeadLetterReason Reason, string? Detail) where T : class
{
    public bool IsValid => Value is not null;

    public static ParseResult<T> Ok(T value) => new(value, DeadLetterReason.None, null);

    public static ParseResult<T> Fail(DeadLetterReason reason, string detail) => new(null, reason, detail);

    /// <summary>Header value: <c>kind: detail</c>.</summary>
    public string Describe() => IsValid ? "ok" : $"{Reason.ToKind()}: {Detail}";
}
