namespace Bert.Core.Checkpoints;

/// <summary>How <see cref="BertCheckpointLoader.Load"/> treats tensors that do not fit the model exactly.</summary>
public sealed class CheckpointLoadOptions
{
    /// <summary>
    /// Throw <see cref="InvalidDataException"/> (listing them) when a model weight is missing from the checkpoint
    /// (outside <see cref="AllowedMissingPrefixes"/>) or the checkpoint holds a tensor the model does not have and that
    /// is not skipped. Default true: a silently half-loaded model is the worst outcome. Shape mismatches always throw.
    /// </summary>
    public bool Strict { get; set; } = true;

    /// <summary>
    /// Slice a position table longer than the model's to its first rows (a 512-position checkpoint serves a model
    /// built with 103 positions, as keras-bert's <c>seq_len</c>). Default true; when false this is a shape mismatch.
    /// </summary>
    public bool AllowPositionSlicing { get; set; } = true;

    /// <summary>
    /// Report the pre-training heads (<c>cls.predictions.*</c>, <c>cls.seq_relationship.*</c>) as skipped instead of
    /// unexpected when the model has no such weights (every Google checkpoint carries them). Default true.
    /// </summary>
    public bool SkipPretrainingHeads { get; set; } = true;

    /// <summary>
    /// Model weight name prefixes that may be missing even in strict mode, e.g. <c>"classifier."</c> for a new task
    /// head or <c>"pooler."</c> for a checkpoint saved without pooler. Default empty.
    /// </summary>
    public IReadOnlyList<string> AllowedMissingPrefixes { get; set; } = [];

    /// <summary>
    /// Checkpoint tensor name prefixes (after the <c>bert.</c> prefix is matched) that are skipped when the model has no
    /// such weights, reported as skipped instead of unexpected: e.g. <c>"classifier."</c> to take the encoder of a
    /// fine-tuned classifier. Default empty.
    /// </summary>
    public IReadOnlyList<string> IgnoredPrefixes { get; set; } = [];

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException"><see cref="AllowedMissingPrefixes"/> or <see cref="IgnoredPrefixes"/> is null or holds an empty prefix.</exception>
    public void Validate()
    {
        if (IgnoredPrefixes is null || IgnoredPrefixes.Any(string.IsNullOrEmpty))
            throw new ArgumentException("IgnoredPrefixes must be a list of non-empty prefixes (to accept every tensor, set Strict = false instead)", nameof(IgnoredPrefixes));
        if (AllowedMissingPrefixes is null)
            throw new ArgumentException("AllowedMissingPrefixes must not be null (use an empty list)", nameof(AllowedMissingPrefixes));
        if (AllowedMissingPrefixes.Any(string.IsNullOrEmpty))
            throw new ArgumentException("AllowedMissingPrefixes must not contain an empty prefix (that would allow every weight to be missing; set Strict = false instead)", nameof(AllowedMissingPrefixes));
    }
}
