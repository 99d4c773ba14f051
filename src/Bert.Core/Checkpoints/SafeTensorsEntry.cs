using static TorchSharp.torch;

namespace Bert.Core.Checkpoints;

/// <summary>One tensor of a safetensors header: its name, dtype, shape and byte range in the data section.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="DType">The stored dtype.</param>
/// <param name="Shape">The shape.</param>
/// <param name="Begin">First byte, relative to the start of the data section.</param>
/// <param name="End">One past the last byte.</param>
public sealed record SafeTensorsEntry(string Name, ScalarType DType, long[] Shape, long Begin, long End)
{
    /// <summary>End - Begin.</summary>
    public long ByteLength => End - Begin;

    /// <inheritdoc />
    public override string ToString() => $"{Name} {DType} {SafeTensors.Describe(Shape)}";
}
