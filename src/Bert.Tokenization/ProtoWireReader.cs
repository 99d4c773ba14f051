namespace Bert.Tokenization;

/// <summary>
/// A minimal reader of the protocol-buffers wire format, enough to read a SentencePiece <c>.model</c>
/// (<c>sentencepiece_model.proto</c>). Written here so that Bert.Core needs no protobuf package or generated code;
/// every malformed length or tag ends in an <see cref="InvalidDataException"/> naming <c>source</c>.
/// </summary>
internal ref struct ProtoWireReader
{
    private readonly ReadOnlySpan<byte> data;
    private readonly string source;
    private int position;

    public ProtoWireReader(ReadOnlySpan<byte> data, string source)
    {
        this.data = data;
        this.source = source;
        position = 0;
    }

    public readonly bool AtEnd => position >= data.Length;

    /// <summary>Reads the next tag; returns the field number and wire type.</summary>
    public (int Field, int WireType) ReadTag()
    {
        var tag = ReadVarint();
        var field = (int)(tag >> 3);
        if (field <= 0)
            throw Malformed($"field number 0 at byte {position}");
        return (field, (int)(tag & 7));
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length)
                throw Malformed("truncated varint");
            var b = data[position++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return result;
        }
        throw Malformed("varint longer than 10 bytes");
    }

    public float ReadFloat()
    {
        if (position + 4 > data.Length)
            throw Malformed("truncated float");
        var value = BitConverter.Int32BitsToSingle(System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(data.Slice(position, 4)));
        position += 4;
        return value;
    }

    public ReadOnlySpan<byte> ReadBytes()
    {
        var length = ReadVarint();
        if (length > (ulong)(data.Length - position))
            throw Malformed($"length {length} runs past the end at byte {position}");
        var span = data.Slice(position, (int)length);
        position += (int)length;
        return span;
    }

    public string ReadString() => System.Text.Encoding.UTF8.GetString(ReadBytes());

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0: ReadVarint(); break;
            case 1: Advance(8); break;
            case 2: ReadBytes(); break;
            case 5: Advance(4); break;
            default: throw Malformed($"unsupported wire type {wireType} at byte {position}");
        }
    }

    private void Advance(int count)
    {
        if (position + count > data.Length)
            throw Malformed("truncated fixed-size field");
        position += count;
    }

    private readonly InvalidDataException Malformed(string what) =>
        new($"'{source}' is not a valid SentencePiece model (protobuf): {what}.");
}
