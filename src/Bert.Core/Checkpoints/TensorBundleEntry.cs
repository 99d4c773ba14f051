using Bert.Core.IO;
using Bert.Tokenization;

namespace Bert.Core.Checkpoints;

/// <summary>
/// One <c>BundleEntryProto</c>: dtype (1), shape (2, a TensorShapeProto), shard_id (3), offset (4), size (5),
/// masked crc32c (6, fixed32) and slices (7, only for partitioned variables).
/// </summary>
internal sealed class TensorBundleEntry
{
    /// <summary>The raw TensorFlow DataType number.</summary>
    public int DType { get; init; }

    /// <summary>Dimension sizes (empty for a scalar).</summary>
    public long[] Shape { get; init; } = [];

    /// <summary>Which data file holds the bytes.</summary>
    public long ShardId { get; init; }

    /// <summary>Byte offset in the data file.</summary>
    public long Offset { get; init; }

    /// <summary>Byte count in the data file.</summary>
    public long Size { get; init; }

    /// <summary>Masked CRC32C of the bytes.</summary>
    public uint Crc32C { get; init; }

    /// <summary>True when the entry describes a partitioned variable (its data lives in slice entries).</summary>
    public bool HasSlices { get; init; }

    /// <summary>True when the shape proto says the rank is unknown.</summary>
    public bool UnknownRank { get; init; }

    /// <summary>Decodes a serialized BundleEntryProto; <paramref name="what"/> names it in errors.</summary>
    public static TensorBundleEntry Parse(ReadOnlySpan<byte> data, string what)
    {
        int dtype = 0;
        long shard = 0, offset = 0, size = 0;
        uint crc = 0;
        bool slices = false, unknownRank = false;
        var dims = new List<long>();
        var reader = new ProtoWireReader(data, what);
        while (reader.TryReadTag(out int field, out int wire))
        {
            switch (field)
            {
                case 1: dtype = (int)reader.ReadVarint(wire); break;
                case 2:
                    dims.Clear();
                    var shape = new ProtoWireReader(reader.ReadBytes(wire), what + " shape");
                    while (shape.TryReadTag(out int sf, out int sw))
                    {
                        if (sf == 2)
                        {
                            long dimSize = 0;
                            var dim = new ProtoWireReader(shape.ReadBytes(sw), what + " shape dim");
                            while (dim.TryReadTag(out int df, out int dw))
                            {
                                if (df == 1) dimSize = (long)dim.ReadVarint(dw);
                                else dim.Skip(dw);
                            }
                            dims.Add(dimSize);
                        }
                        else if (sf == 3) unknownRank = shape.ReadVarint(sw) != 0;
                        else shape.Skip(sw);
                    }
                    break;
                case 3: shard = (int)reader.ReadVarint(wire); break;
                case 4: offset = (long)reader.ReadVarint(wire); break;
                case 5: size = (long)reader.ReadVarint(wire); break;
                case 6: crc = reader.ReadFixed32(wire); break;
                case 7: slices = true; reader.Skip(wire); break;
                default: reader.Skip(wire); break;
            }
        }
        return new TensorBundleEntry
        {
            DType = dtype, Shape = [.. dims], ShardId = shard, Offset = offset, Size = size,
            Crc32C = crc, HasSlices = slices, UnknownRank = unknownRank,
        };
    }

    /// <summary>Serializes exactly like C++ <c>BundleEntryProto::SerializeAsString</c> as BundleWriter fills it.</summary>
    public byte[] Serialize()
    {
        var shape = new ProtoWireWriter();
        foreach (long d in Shape)
        {
            var dim = new ProtoWireWriter();
            if (d != 0) dim.Varint(1, (ulong)d);
            shape.Message(2, dim);
        }
        var entry = new ProtoWireWriter();
        if (DType != 0) entry.Varint(1, (ulong)(long)DType);
        entry.Message(2, shape);
        if (ShardId != 0) entry.Varint(3, (ulong)ShardId);
        if (Offset != 0) entry.Varint(4, (ulong)Offset);
        if (Size != 0) entry.Varint(5, (ulong)Size);
        if (Crc32C != 0) entry.Fixed32(6, Crc32C);
        return entry.ToArray();
    }
}
