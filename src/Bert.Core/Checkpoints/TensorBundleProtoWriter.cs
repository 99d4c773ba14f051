namespace Bert.Core.Checkpoints;

/// <summary>
/// A minimal protobuf wire-format writer producing the same bytes as C++ <c>SerializeAsString</c> for the bundle
/// messages: fields in number order, proto3 defaults (zero) omitted by the callers.
/// </summary>
internal sealed class TensorBundleProtoWriter
{
    private readonly MemoryStream _buffer = new();

    /// <summary>Writes a varint field.</summary>
    public TensorBundleProtoWriter Varint(int field, ulong value)
    {
        Tag(field, TensorBundleProtoReader.Varint);
        LevelDbCoding.WriteVarint(_buffer, value);
        return this;
    }

    /// <summary>Writes a fixed32 field.</summary>
    public TensorBundleProtoWriter Fixed32(int field, uint value)
    {
        Tag(field, TensorBundleProtoReader.Fixed32);
        LevelDbCoding.WriteFixed32(_buffer, value);
        return this;
    }

    /// <summary>Writes a length-delimited field (a sub-message or bytes).</summary>
    public TensorBundleProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, TensorBundleProtoReader.LengthDelimited);
        LevelDbCoding.WriteVarint(_buffer, (ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    /// <summary>The serialized message.</summary>
    public byte[] ToArray() => _buffer.ToArray();

    private void Tag(int field, int wireType) => LevelDbCoding.WriteVarint(_buffer, ((ulong)field << 3) | (uint)wireType);
}
