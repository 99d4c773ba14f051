namespace Bert.Core.Checkpoints;

/// <summary>
/// One tensor of a TensorFlow checkpoint, as its <c>BundleEntryProto</c> in the <c>.index</c> describes it.
/// </summary>
/// <param name="Name">The variable name, e.g. <c>bert/encoder/layer_0/attention/self/query/kernel</c>.</param>
/// <param name="DType">The element type.</param>
/// <param name="Shape">Dimension sizes (empty for a scalar such as <c>global_step</c>).</param>
/// <param name="ShardId">Which <c>.data-NNNNN-of-NNNNN</c> file holds the bytes (0-based).</param>
/// <param name="Offset">Byte offset of the tensor in that data file.</param>
/// <param name="Size">Byte count of the tensor in that data file.</param>
/// <param name="Crc32C">The masked CRC32C of those bytes, as stored in the entry (LevelDB mask).</param>
public sealed record TensorFlowTensorInfo(string Name, TensorFlowDType DType, long[] Shape, int ShardId, long Offset, long Size, uint Crc32C)
{
    /// <summary>The number of elements (the product of <see cref="Shape"/>; 1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>A one-line description: name, dtype and shape, e.g. <c>bert/pooler/dense/kernel float32 [4, 4]</c>.</summary>
    public override string ToString() => $"{Name} {DType.ToString().ToLowerInvariant()} [{string.Join(", ", Shape)}]";
}
