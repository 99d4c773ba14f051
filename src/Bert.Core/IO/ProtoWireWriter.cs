using System.Text;
using Bert.Core.Checkpoints;

namespace Bert.Core.IO;

/// <summary>
/// A minimal protocol-buffers wire-format writer: the one serializer behind the TensorFlow bundle header/entries
/// (<see cref="TensorBundleEntry"/>, <see cref="TensorBundleHeader"/>) and the ONNX <c>ModelProto</c>
/// (<see cref="Onnx.OnnxExport"/>). Fields come out in the order written; callers write them in field-number order and
/// omit proto3 defaults, which gives the same bytes as C++ <c>SerializeAsString</c>. Its reading counterpart for
/// SentencePiece models, tensor bundles and LevelDB tables is <c>Bert.Tokenization.ProtoWireReader</c>.
/// </summary>
/// <remarks>
/// Why not <c>Google.Protobuf</c> with <c>Grpc.Tools</c> code generation: the library writes four small message
/// families by hand in about a hundred lines, while generated code would add a runtime dependency to every package
/// and a build-time <c>protoc</c> to every build, for messages whose schema (TensorFlow's <c>tensor_bundle.proto</c>,
/// <c>onnx.proto</c>) is frozen for compatibility.
/// </remarks>
internal sealed class ProtoWireWriter
{
    /// <summary>Wire type of varint fields (int32, int64, uint64, bool, enum).</summary>
    public const int VarintType = 0;

    /// <summary>Wire type of length-delimited fields (string, bytes, sub-messages, packed repeated scalars).</summary>
    public const int LengthDelimitedType = 2;

    /// <summary>Wire type of 32-bit fields (fixed32, float).</summary>
    public const int Fixed32Type = 5;

    private readonly MemoryStream _buffer = new();

    /// <summary>The number of bytes written so far.</summary>
    public long Length => _buffer.Length;

    /// <summary>Writes a varint field (negative int32/int64 values are cast to <see cref="ulong"/>, as protobuf does).</summary>
    public ProtoWireWriter Varint(int field, ulong value)
    {
        Tag(field, VarintType);
        LevelDbCoding.WriteVarint(_buffer, value);
        return this;
    }

    /// <summary>Writes a fixed32 field.</summary>
    public ProtoWireWriter Fixed32(int field, uint value)
    {
        Tag(field, Fixed32Type);
        LevelDbCoding.WriteFixed32(_buffer, value);
        return this;
    }

    /// <summary>Writes a float field (wire type 5, little-endian IEEE 754).</summary>
    public ProtoWireWriter Float(int field, float value) => Fixed32(field, BitConverter.SingleToUInt32Bits(value));

    /// <summary>Writes a length-delimited field (bytes, or a sub-message already serialized).</summary>
    public ProtoWireWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthDelimitedType);
        LevelDbCoding.WriteVarint(_buffer, (ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    /// <summary>Writes a UTF-8 string field.</summary>
    public ProtoWireWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>Writes a sub-message field from another writer's bytes (no intermediate array).</summary>
    public ProtoWireWriter Message(int field, ProtoWireWriter message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Bytes(field, message._buffer.GetBuffer().AsSpan(0, (int)message._buffer.Length));
    }

    /// <summary>Writes a packed repeated varint field (proto3's default encoding of repeated scalars).</summary>
    public ProtoWireWriter PackedVarints(int field, IEnumerable<long> values)
    {
        using var packed = new MemoryStream();
        foreach (long v in values) LevelDbCoding.WriteVarint(packed, (ulong)v);
        return Bytes(field, packed.GetBuffer().AsSpan(0, (int)packed.Length));
    }

    /// <summary>The serialized message.</summary>
    public byte[] ToArray() => _buffer.ToArray();

    /// <summary>Copies the serialized message to <paramref name="output"/>.</summary>
    public void WriteTo(Stream output) => _buffer.WriteTo(output);

    /// <summary>
    /// Writes one length-delimited field to <paramref name="output"/> whose content is the concatenation of
    /// <paramref name="parts"/> (each a run of fields of the same message), without copying them into one buffer.
    /// </summary>
    public static void WriteField(Stream output, int field, params ProtoWireWriter[] parts)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(parts);
        LevelDbCoding.WriteVarint(output, ((ulong)field << 3) | LengthDelimitedType);
        LevelDbCoding.WriteVarint(output, (ulong)parts.Sum(p => p._buffer.Length));
        foreach (var part in parts) part._buffer.WriteTo(output);
    }

    private void Tag(int field, int wireType) => LevelDbCoding.WriteVarint(_buffer, ((ulong)field << 3) | (uint)wireType);
}
