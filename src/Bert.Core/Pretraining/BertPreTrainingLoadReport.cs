namespace Bert.Core.Pretraining;

/// <summary>What <see cref="BertPreTrainingCheckpoint"/> did with each tensor of a checkpoint.</summary>
public sealed class BertPreTrainingLoadReport
{
    internal BertPreTrainingLoadReport(string source, IReadOnlyList<string> loaded, IReadOnlyList<string> missing,
        IReadOnlyList<string> unexpected, IReadOnlyList<string> skipped)
    {
        Source = source;
        Loaded = loaded;
        Missing = missing;
        Unexpected = unexpected;
        Skipped = skipped;
    }

    /// <summary>The file or folder read.</summary>
    public string Source { get; }

    /// <summary>Model keys (<c>bert.*</c>, <c>cls.*</c>) that received a value.</summary>
    public IReadOnlyList<string> Loaded { get; }

    /// <summary>Model keys the checkpoint has no value for (they keep their current value).</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>Checkpoint tensors that look like weights but match no model key (for example a classifier head).</summary>
    public IReadOnlyList<string> Unexpected { get; }

    /// <summary>Checkpoint tensors ignored on purpose: optimizer slots, <c>global_step</c>, the tied decoder aliases.</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <summary>True when every model key was loaded.</summary>
    public bool IsComplete => Missing.Count == 0;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Source}: {Loaded.Count} loaded, {Missing.Count} missing, {Unexpected.Count} unexpected, {Skipped.Count} skipped" +
        (Missing.Count > 0 ? "; missing: " + string.Join(", ", Missing) : "") +
        (Unexpected.Count > 0 ? "; unexpected: " + string.Join(", ", Unexpected) : "");
}
