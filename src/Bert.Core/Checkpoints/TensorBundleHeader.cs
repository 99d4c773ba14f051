using Bert.Core.IO;
using Bert.Tokenization;

namespace Bert.Core.Checkpoints;

/// <summary>
/// The bundle's <c>BundleHeaderProto</c>, stored under the empty key: number of data shards, endianness and the
/// format version (<c>VersionDef</c>: producer, min_consumer, bad_consumers).
/// </summary>
internal sealed record TensorBundleHeader(long NumShards, int Endianness, int Producer, int MinConsumer, IReadOnlyList<int> BadConsumers)
{
    /// <summary>The tensor bundle format version TensorFlow writes and reads (kTensorBundleVersion).</summary>
    public const int CurrentVersion = 1;

    /// <summary>Endianness value for little-endian data (BundleHeaderProto.LITTLE).</summary>
    public const int Little = 0;

    /// <summary>Endianness value for big-endian data (BundleHeaderProto.BIG).</summary>
    public const int Big = 1;

    /// <summary>Decodes a serialized BundleHeaderProto.</summary>
    public static TensorBundleHeader Parse(ReadOnlySpan<byte> data)
    {
        const string what = "bundle header (BundleHeaderProto)";
        long numShards = 0;
        int endianness = 0, producer = 0, minConsumer = 0;
        var bad = new List<int>();
        var reader = new ProtoWireReader(data, what);
        while (reader.TryReadTag(out int field, out int wire))
        {
            switch (field)
            {
                case 1: numShards = (int)reader.ReadVarint(wire); break;
                case 2: endianness = (int)reader.ReadVarint(wire); break;
                case 3:
                    var version = new ProtoWireReader(reader.ReadBytes(wire), what + " version");
                    while (version.TryReadTag(out int vf, out int vw))
                    {
                        if (vf == 1) producer = (int)version.ReadVarint(vw);
                        else if (vf == 2) minConsumer = (int)version.ReadVarint(vw);
                        else if (vf == 3 && vw == ProtoWireReader.Varint) bad.Add((int)version.ReadVarint(vw));
                        else if (vf == 3)
                        {
                            var packed = version.ReadBytes(vw);
                            int p = 0;
                            while (p < packed.Length)
                                bad.Add((int)ProtoWireReader.ReadVarint64(packed, ref p, what + " bad_consumers"));
                        }
                        else version.Skip(vw);
                    }
                    break;
                default: reader.Skip(wire); break;
            }
        }
        return new TensorBundleHeader(numShards, endianness, producer, minConsumer, bad);
    }

    /// <summary>Serializes like TensorFlow's BundleWriter (version always present, zero fields omitted).</summary>
    public byte[] Serialize()
    {
        var version = new ProtoWireWriter();
        if (Producer != 0) version.Varint(1, (ulong)(long)Producer);
        if (MinConsumer != 0) version.Varint(2, (ulong)(long)MinConsumer);
        if (BadConsumers.Count > 0) version.PackedVarints(3, BadConsumers.Select(b => (long)b)); // proto3 packs repeated scalars
        var header = new ProtoWireWriter();
        if (NumShards != 0) header.Varint(1, (ulong)NumShards);
        if (Endianness != 0) header.Varint(2, (ulong)(long)Endianness);
        header.Message(3, version);
        return header.ToArray();
    }
}
