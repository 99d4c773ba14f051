using System.Buffers.Binary;

namespace Bert.Tokenization;

/// <summary>
/// The one reader of the protocol-buffers wire format in Bert.NET: SentencePiece <c>.model</c> files
/// (<c>sentencepiece_model.proto</c>) here, TensorFlow tensor-bundle messages and LevelDB tables in Bert.Core. Written
/// here so that no protobuf package or generated code is needed. Every read is bounds-checked: a truncated or overlong
/// varint, a length past the end, field number 0 or an unknown wire type ends in an <see cref="InvalidDataException"/>
/// that starts with the <c>what</c> given to the constructor (the file and message being read).
/// </summary>
internal ref struct ProtoWireReader
{
    /// <summary>Wire type 0: varint.</summary>
    public const int Varint = 0;

    /// <summary>Wire type 1: 64-bit.</summary>
    public const int Fixed64 = 1;

    /// <summary>Wire type 2: length-delimited (sub-message, string, bytes, packed array).</summary>
    public const int LengthDelimited = 2;

    /// <summary>Wire type 5: 32-bit.</summary>
    public const int Fixed32 = 5;

    private readonly ReadOnlySpan<byte> data;
    private readonly string what;
    private int position;

    /// <summary>Reads the message in <paramref name="data"/>; <paramref name="what"/> names it at the start of every error.</summary>
    public ProtoWireReader(ReadOnlySpan<byte> data, string what)
    {
        this.data = data;
        this.what = what;
        position = 0;
    }

    /// <summary>True when the whole message has been read.</summary>
    public readonly bool AtEnd => position >= data.Length;

    /// <summary>Reads the next tag; returns the field number and wire type.</summary>
    public (int Field, int WireType) ReadTag()
    {
        var tag = ReadVarint64(data, ref position, what);
        var field = (int)Math.Min(tag >> 3, int.MaxValue);
        if (field == 0)
            throw new InvalidDataException($"{what}: field number 0 at byte {position} is not valid protobuf");
        return (field, (int)(tag & 7));
    }

    /// <summary>Reads the next tag; false at the end of the message.</summary>
    public bool TryReadTag(out int field, out int wireType)
    {
        if (AtEnd)
        {
            (field, wireType) = (0, 0);
            return false;
        }
        (field, wireType) = ReadTag();
        return true;
    }

    /// <summary>Reads a varint value.</summary>
    public ulong ReadVarint() => ReadVarint64(data, ref position, what);

    /// <summary>Reads a varint value of a field whose tag said <paramref name="wireType"/> (which must be <see cref="Varint"/>).</summary>
    public ulong ReadVarint(int wireType)
    {
        Expect(wireType, Varint);
        return ReadVarint();
    }

    /// <summary>Reads a little-endian 32-bit value of a field whose tag said <paramref name="wireType"/> (which must be <see cref="Fixed32"/>).</summary>
    public uint ReadFixed32(int wireType)
    {
        Expect(wireType, Fixed32);
        return ReadFixed32(data, ref position, what);
    }

    /// <summary>Reads a little-endian IEEE 754 float (wire type 5).</summary>
    public float ReadFloat() => BitConverter.Int32BitsToSingle((int)ReadFixed32(data, ref position, what));

    /// <summary>Reads a length-delimited value.</summary>
    public ReadOnlySpan<byte> ReadBytes()
    {
        var length = ReadVarint64(data, ref position, what);
        if (length > (ulong)(data.Length - position))
            throw new InvalidDataException($"{what}: a length-delimited field declares {length} bytes at byte {position} but only {data.Length - position} remain");
        var span = data.Slice(position, (int)length);
        position += (int)length;
        return span;
    }

    /// <summary>Reads a length-delimited value of a field whose tag said <paramref name="wireType"/> (which must be <see cref="LengthDelimited"/>).</summary>
    public ReadOnlySpan<byte> ReadBytes(int wireType)
    {
        Expect(wireType, LengthDelimited);
        return ReadBytes();
    }

    /// <summary>Reads a length-delimited UTF-8 string.</summary>
    public string ReadString() => System.Text.Encoding.UTF8.GetString(ReadBytes());

    /// <summary>Skips a field value of any supported wire type.</summary>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case Varint: ReadVarint(); break;
            case Fixed64: ReadFixed64(data, ref position, what); break;
            case LengthDelimited: ReadBytes(); break;
            case Fixed32: ReadFixed32(data, ref position, what); break;
            default: throw new InvalidDataException($"{what}: unsupported protobuf wire type {wireType} at byte {position}");
        }
    }

    /// <summary>Reads a varint of at most 10 bytes that fits 64 bits at <paramref name="pos"/> (protobuf's and LevelDB's encoding).</summary>
    public static ulong ReadVarint64(ReadOnlySpan<byte> data, ref int pos, string what)
    {
        ulong result = 0;
        for (int shift = 0, i = 0; ; shift += 7, i++)
        {
            if (pos < 0 || pos >= data.Length)
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

    /// <summary>Reads a little-endian 32-bit integer at <paramref name="pos"/>.</summary>
    private static uint ReadFixed32(ReadOnlySpan<byte> data, ref int pos, string what) =>
        BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref pos, 4, what));

    /// <summary>Reads a little-endian 64-bit integer at <paramref name="pos"/>.</summary>
    private static ulong ReadFixed64(ReadOnlySpan<byte> data, ref int pos, string what) =>
        BinaryPrimitives.ReadUInt64LittleEndian(Take(data, ref pos, 8, what));

    /// <summary>The <paramref name="count"/> bytes at <paramref name="pos"/>, which moves past them; throws when fewer remain.</summary>
    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> data, ref int pos, int count, string what)
    {
        if (pos < 0 || data.Length - pos < count)
            throw new InvalidDataException($"{what}: truncated {count * 8}-bit value at byte {pos}");
        var bytes = data.Slice(pos, count);
        pos += count;
        return bytes;
    }

    private readonly void Expect(int actual, int expected)
    {
        if (actual != expected)
            throw new InvalidDataException($"{what}: protobuf wire type {actual} where {expected} was expected");
    }
}
