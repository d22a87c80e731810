using PeterRec.Contracts;

namespace PeterRec.Producers;

/// <summary>One event to replay: a click or a target-task label (exactly one is set).</summary>
public readonly record struct ReplayEvent(ClickEvent? Click, TaskEvent? Task)
{
    public string User => Click?.User ?? Task!.User;
}
