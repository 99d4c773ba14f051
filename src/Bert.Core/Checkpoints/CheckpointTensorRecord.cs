namespace Bert.Core.Checkpoints;

/// <summary>One line of a <see cref="CheckpointLoadReport"/>: a tensor name, its shape and an optional note.</summary>
/// <param name="Name">The model (Hugging Face) name, or the checkpoint's own name for skipped and unexpected tensors that have none.</param>
/// <param name="Shape">The shape in the checkpoint (loaded, skipped, unexpected) or in the model (missing).</param>
/// <param name="Note">Why it was skipped, where it came from, or what was adapted (e.g. a sliced position table).</param>
public sealed record CheckpointTensorRecord(string Name, long[] Shape, string? Note = null)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name} {SafeTensors.Describe(Shape)}{(Note is null ? "" : " (" + Note + ")")}";
}
