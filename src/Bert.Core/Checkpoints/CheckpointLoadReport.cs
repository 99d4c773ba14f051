using System.Text;

namespace Bert.Core.Checkpoints;

/// <summary>What <see cref="BertCheckpointLoader.Load"/> did: every tensor loaded, missing, unexpected or skipped, with shapes.</summary>
public sealed class CheckpointLoadReport
{
    private const int ListedSkipped = 8;

    internal CheckpointLoadReport(string source, string format, IReadOnlyList<CheckpointTensorRecord> loaded,
        IReadOnlyList<CheckpointTensorRecord> missing, IReadOnlyList<CheckpointTensorRecord> unexpected,
        IReadOnlyList<CheckpointTensorRecord> skipped)
    {
        Source = source;
        Format = format;
        Loaded = loaded;
        Missing = missing;
        Unexpected = unexpected;
        Skipped = skipped;
    }

    /// <summary>The checkpoint path as given.</summary>
    public string Source { get; }

    /// <summary>The detected format: <c>TensorFlow</c>, <c>safetensors</c> or <c>Hugging Face folder</c>.</summary>
    public string Format { get; }

    /// <summary>Model weights set from the checkpoint (model name, checkpoint shape, note when adapted).</summary>
    public IReadOnlyList<CheckpointTensorRecord> Loaded { get; }

    /// <summary>Model weights the checkpoint does not have (model shape); they keep their initial values.</summary>
    public IReadOnlyList<CheckpointTensorRecord> Missing { get; }

    /// <summary>Checkpoint tensors the model has no place for.</summary>
    public IReadOnlyList<CheckpointTensorRecord> Unexpected { get; }

    /// <summary>Checkpoint tensors deliberately not loaded: optimizer slots, <c>global_step</c>, pre-training heads, buffers.</summary>
    public IReadOnlyList<CheckpointTensorRecord> Skipped { get; }

    /// <summary>True when no weight is missing and no tensor is unexpected.</summary>
    public bool IsComplete => Missing.Count == 0 && Unexpected.Count == 0;

    /// <summary>A summary line, then every missing, unexpected and adapted tensor and the first skipped ones.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append($"Checkpoint {Source} ({Format}): loaded {Loaded.Count}, missing {Missing.Count}, unexpected {Unexpected.Count}, skipped {Skipped.Count}");
        foreach (var record in Loaded.Where(r => r.Note is not null))
            text.Append("\n  adapted    ").Append(record);
        foreach (var record in Missing)
            text.Append("\n  missing    ").Append(record);
        foreach (var record in Unexpected)
            text.Append("\n  unexpected ").Append(record);
        foreach (var group in Skipped.GroupBy(r => r.Note ?? "skipped"))
        {
            text.Append($"\n  skipped    {group.Count()} x {group.Key}: ");
            text.Append(string.Join(", ", group.Take(ListedSkipped).Select(r => r.Name)));
            if (group.Count() > ListedSkipped) text.Append(", ...");
        }
        return text.ToString();
    }
}
