namespace Bert.Core.Checkpoints;

/// <summary>
/// A minimal protobuf wire-format reader for the few messages of a tensor bundle (BundleHeaderProto,
/// BundleEntryProto, TensorShapeProto, VersionDef). Unknown fields are skipped; malformed input throws
/// <see cref="InvalidDataException"/>.
/// </summary>
internal ref struct TensorBundleProtoReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _what;
    private int _pos;

    /// <summary>Reads the message in <paramref name="data"/>; <paramref name="what"/> names it in errors.</summary>
    public TensorBundleProtoReader(ReadOnlySpan<byte> data, string what)
    {
        _data = data;
        _what = what;
        _pos = 0;
    }

    /// <summary>Protobuf wire type: varint.</summary>
    public const int Varint = 0;
    /// <summary>Protobuf wire type: 64-bit.</summary>
    public const int Fixed64 = 1;
    /// <summary>Protobuf wire type: length-delimited.</summary>
    public const int LengthDelimited = 2;
    /// <summary>Protobuf wire type: 32-bit.</summary>
    public const int Fixed32 = 5;

    /// <summary>Reads the next field tag; false at the end of the message.</summary>
    public bool TryReadTag(out int field, out int wireType)
    {
        if (_pos >= _data.Length)
        {
            field = 0;
            wireType = 0;
            return false;
        }
        ulong tag = LevelDbCoding.ReadVarint64(_data, ref _pos, _what);
        field = (int)Math.Min(tag >> 3, int.MaxValue);
        wireType = (int)(tag & 7);
        if (field == 0)
            throw new InvalidDataException($"{_what}: field number 0 is not valid protobuf");
        return true;
    }

    /// <summary>Reads a varint field value.</summary>
    public ulong ReadVarint(int wireType)
    {
        Expect(wireType, Varint);
        return LevelDbCoding.ReadVarint64(_data, ref _pos, _what);
    }

    /// <summary>Reads a fixed32 field value.</summary>
    public uint ReadFixed32(int wireType)
    {
        Expect(wireType, Fixed32);
        return LevelDbCoding.ReadFixed32(_data, ref _pos, _what);
    }

    /// <summary>Reads a length-delimited field value (a sub-message, string or packed array).</summary>
    public ReadOnlySpan<byte> ReadBytes(int wireType)
    {
        Expect(wireType, LengthDelimited);
        ulong length = LevelDbCoding.ReadVarint64(_data, ref _pos, _what);
        if (length > (ulong)(_data.Length - _pos))
            throw new InvalidDataException(
                $"{_what}: a length-delimited field declares {length} bytes but only {_data.Length - _pos} remain");
        var slice = _data.Slice(_pos, (int)length);
        _pos += (int)length;
        return slice;
    }

    /// <summary>Skips a field of any supported wire type.</summary>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case Varint: LevelDbCoding.ReadVarint64(_data, ref _pos, _what); break;
            case Fixed64: LevelDbCoding.ReadFixed64(_data, ref _pos, _what); break;
            case LengthDelimited: ReadBytes(wireType); break;
            case Fixed32: LevelDbCoding.ReadFixed32(_data, ref _pos, _what); break;
            default: throw new InvalidDataException($"{_what}: unsupported protobuf wire type {wireType}");
        }
    }

    private readonly void Expect(int actual, int expected)
    {
        if (actual != expected)
            throw new InvalidDataException($"{_what}: protobuf wire type {actual} where {expected} was expected");
    }
}
