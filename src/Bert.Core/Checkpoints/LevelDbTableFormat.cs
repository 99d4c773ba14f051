namespace Bert.Core.Checkpoints;

/// <summary>
/// Constants of the LevelDB table format as TensorFlow's <c>core/lib/io</c> writes it (leveldb <c>doc/table_format.md</c>):
/// blocks followed by a 5-byte trailer (compression type, masked CRC32C of contents + type), an empty metaindex
/// block, an index block, and a 48-byte footer (two block handles padded to 40 bytes, then the magic number).
/// </summary>
internal static class LevelDbTableFormat
{
    /// <summary>Footer size: 2 * <see cref="LevelDbBlockHandle.MaxEncodedLength"/> + 8-byte magic.</summary>
    public const int FooterSize = 48;

    /// <summary>Block trailer: 1 byte compression type + 4 bytes masked CRC32C.</summary>
    public const int BlockTrailerSize = 5;

    /// <summary>The table magic number (little-endian at the end of the footer).</summary>
    public const ulong Magic = 0xdb4775248b80fb57UL;

    /// <summary>Block compression type: none (what TensorFlow's BundleWriter uses).</summary>
    public const byte NoCompression = 0;

    /// <summary>Block compression type: snappy.</summary>
    public const byte SnappyCompression = 1;

    /// <summary>TensorFlow's table option default: approximate uncompressed data block size.</summary>
    public const int DefaultBlockSize = 262144;

    /// <summary>TensorFlow's table option default: keys between restart points in data blocks.</summary>
    public const int DefaultBlockRestartInterval = 16;
}
