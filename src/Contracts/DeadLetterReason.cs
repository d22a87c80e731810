namespace PeterRec.Contracts;

/// <summary>Why a record was rejected; the snake_case name is the metric label and the header prefix.</summary>
public enum DeadLetterReason
{
    None = 0,
    MalformedJson,
    WrongType,
    MissingField,
    InvalidString,
    TimestampOutOfRange,
}

public static class DeadLetterReasonNames
{
    public static string ToKind(this DeadLetterReason reason) => reason switch
    {
        DeadLetterReason.MalformedJson => "malformed_json",
        DeadLetterReason.WrongType => "wrong_type",
        DeadLetterReason.MissingField => "missing_field",
        DeadLetterReason.InvalidString => "invalid_string",
        DeadLetterReason.TimestampOutOfRange => "ts_out_of_range",
        _ => "none",
    };
}
