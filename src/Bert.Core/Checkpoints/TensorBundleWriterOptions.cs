namespace Bert.Core.Checkpoints;

/// <summary>Options of <see cref="TensorBundleWriter"/>.</summary>
public sealed class TensorBundleWriterOptions
{
    /// <summary>
    /// Number of data files (<c>.data-00000-of-0000N</c>). Default 1, what TensorFlow's BundleWriter writes; with more,
    /// each tensor goes to the shard holding the fewest bytes so far (ties: the lowest shard id), like a merged
    /// multi-device checkpoint.
    /// </summary>
    public int NumShards { get; set; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the property when a value is out of range.</summary>
    public void Validate()
    {
        if (NumShards is < 1 or > 99999)
            throw new ArgumentException($"NumShards must be between 1 and 99999 (data file names have 5 digits); got {NumShards}", nameof(NumShards));
    }
}
