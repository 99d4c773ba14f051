using System.Buffers.Binary;
using Bert.Tokenization;

namespace Bert.Core.Checkpoints;

/// <summary>
/// LevelDB's (and protobuf's) little-endian varints and fixed-width integers: the writers, and the 32-bit varint of
/// LevelDB blocks, read (bounds-checked) through the one wire reader, <see cref="ProtoWireReader"/>.
/// </summary>
internal static class LevelDbCoding
{
    /// <summary>Reads a varint of at most 5 bytes that fits 32 bits.</summary>
    public static uint ReadVarint32(ReadOnlySpan<byte> data, ref int pos, string what)
    {
        ulong v = ProtoWireReader.ReadVarint64(data, ref pos, what);
        if (v > uint.MaxValue)
            throw new InvalidDataException($"{what}: varint {v} does not fit 32 bits");
        return (uint)v;
    }

    /// <summary>Appends a varint.</summary>
    public static void WriteVarint(Stream output, ulong value)
    {
        while (value >= 0x80)
        {
            output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        output.WriteByte((byte)value);
    }

    /// <summary>Appends a little-endian 32-bit integer.</summary>
    public static void WriteFixed32(Stream output, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        output.Write(b);
    }

    /// <summary>Appends a little-endian 64-bit integer.</summary>
    public static void WriteFixed64(Stream output, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        output.Write(b);
    }
}
