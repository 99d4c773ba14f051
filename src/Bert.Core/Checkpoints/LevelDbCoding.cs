using System.Buffers.Binary;

namespace Bert.Core.Checkpoints;

/// <summary>
/// LevelDB's (and protobuf's) little-endian varints and fixed-width integers. Readers are bounds-checked and throw
/// <see cref="InvalidDataException"/> for truncated or overlong encodings instead of reading past the span.
/// </summary>
internal static class LevelDbCoding
{
    /// <summary>Reads a varint of at most 5 bytes that fits 32 bits.</summary>
    public static uint ReadVarint32(ReadOnlySpan<byte> data, ref int pos, string what)
    {
        ulong v = ReadVarint64(data, ref pos, what);
        if (v > uint.MaxValue)
            throw new InvalidDataException($"{what}: varint {v} does not fit 32 bits");
        return (uint)v;
    }

    /// <summary>Reads a varint of at most 10 bytes that fits 64 bits.</summary>
    public static ulong ReadVarint64(ReadOnlySpan<byte> data, ref int pos, string what)
    {
        ulong result = 0;
        for (int shift = 0, i = 0; ; shift += 7, i++)
        {
            if (pos >= data.Length)
                throw new InvalidDataException($"{what}: truncated varint at byte {pos}");
            if (i == 10)
                throw new InvalidDataException($"{what}: varint longer than 10 bytes at byte {pos}");
            byte b = data[pos++];
            if (i == 9 && b > 1)
                throw new InvalidDataException($"{what}: varint overflows 64 bits at byte {pos - 1}");
            result |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
                return result;
        }
    }

    /// <summary>Reads a little-endian 32-bit integer.</summary>
    public static uint ReadFixed32(ReadOnlySpan<byte> data, ref int pos, string what)
    {
        if (pos < 0 || data.Length - pos < 4)
            throw new InvalidDataException($"{what}: truncated 32-bit value at byte {pos}");
        uint v = BinaryPrimitives.ReadUInt32LittleEndian(data[pos..]);
        pos += 4;
        return v;
    }

    /// <summary>Reads a little-endian 64-bit integer.</summary>
    public static ulong ReadFixed64(ReadOnlySpan<byte> data, ref int pos, string what)
    {
        if (pos < 0 || data.Length - pos < 8)
            throw new InvalidDataException($"{what}: truncated 64-bit value at byte {pos}");
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(data[pos..]);
        pos += 8;
        return v;
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
