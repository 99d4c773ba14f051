using Bert.Tokenization;

namespace Bert.Core.Checkpoints;

/// <summary>A LevelDB block handle: where a block starts in the table file and its size without the 5-byte trailer.</summary>
internal readonly record struct LevelDbBlockHandle(ulong Offset, ulong Size)
{
    /// <summary>The longest encoding: two 10-byte varints.</summary>
    public const int MaxEncodedLength = 20;

    /// <summary>Decodes a handle (two varints) at <paramref name="pos"/>.</summary>
    public static LevelDbBlockHandle Decode(ReadOnlySpan<byte> data, ref int pos, string what)
    {
        ulong offset = ProtoWireReader.ReadVarint64(data, ref pos, what);
        ulong size = ProtoWireReader.ReadVarint64(data, ref pos, what);
        return new LevelDbBlockHandle(offset, size);
    }

    /// <summary>Appends the encoding (two varints).</summary>
    public void EncodeTo(Stream output)
    {
        LevelDbCoding.WriteVarint(output, Offset);
        LevelDbCoding.WriteVarint(output, Size);
    }
}
