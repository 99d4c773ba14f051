namespace Bert.Core.Checkpoints;

/// <summary>
/// Writes a LevelDB-format table exactly as TensorFlow's <c>core/lib/io/table_builder.cc</c> with the options
/// BundleWriter uses (no compression, block size 262144, restart interval 16; index block restart interval 1):
/// data blocks cut when their size estimate reaches the block size, index entries keyed by the shortest separator
/// (or short successor for the last block), an empty metaindex block, the index block and the 48-byte footer.
/// </summary>
internal sealed class LevelDbTableBuilder
{
    private readonly Stream _output;
    private readonly int _blockSize;
    private readonly LevelDbBlockBuilder _dataBlock;
    private readonly LevelDbBlockBuilder _indexBlock = new(1);
    private byte[] _lastKey = [];
    private long _entries;
    private long _offset;
    private bool _pendingIndexEntry;
    private LevelDbBlockHandle _pendingHandle;

    /// <summary>A builder writing to <paramref name="output"/> from its current position (offset 0).</summary>
    public LevelDbTableBuilder(Stream output, int blockSize = LevelDbTableFormat.DefaultBlockSize,
        int restartInterval = LevelDbTableFormat.DefaultBlockRestartInterval)
    {
        _output = output;
        _blockSize = blockSize;
        _dataBlock = new LevelDbBlockBuilder(restartInterval);
    }

    /// <summary>Adds an entry; keys must be strictly increasing in byte order.</summary>
    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (_entries > 0)
        {
            if (key.SequenceCompareTo(_lastKey) <= 0)
                throw new InvalidOperationException("table keys must be added in strictly increasing order");
            // TensorFlow flushes before an entry at least twice the block size.
            if ((long)key.Length + value.Length >= 2L * _blockSize)
                Flush();
        }
        if (_pendingIndexEntry)
        {
            AddIndexEntry(ShortestSeparator(_lastKey, key));
        }
        _lastKey = key.ToArray();
        _entries++;
        _dataBlock.Add(key, value);
        if (_dataBlock.CurrentSizeEstimate >= _blockSize)
            Flush();
    }

    /// <summary>Writes the last data block, the metaindex and index blocks and the footer.</summary>
    public void Finish()
    {
        Flush();
        var metaindex = WriteBlock(new LevelDbBlockBuilder(LevelDbTableFormat.DefaultBlockRestartInterval));
        if (_pendingIndexEntry)
            AddIndexEntry(ShortSuccessor(_lastKey));
        var index = WriteBlock(_indexBlock);

        var footer = new MemoryStream(LevelDbTableFormat.FooterSize);
        metaindex.EncodeTo(footer);
        index.EncodeTo(footer);
        footer.SetLength(2 * LevelDbBlockHandle.MaxEncodedLength);
        footer.Position = footer.Length;
        LevelDbCoding.WriteFixed64(footer, LevelDbTableFormat.Magic);
        _output.Write(footer.GetBuffer(), 0, (int)footer.Length);
        _offset += footer.Length;
    }

    private void AddIndexEntry(byte[] key)
    {
        var handle = new MemoryStream();
        _pendingHandle.EncodeTo(handle);
        _indexBlock.Add(key, handle.ToArray());
        _pendingIndexEntry = false;
    }

    private void Flush()
    {
        if (_dataBlock.IsEmpty) return;
        _pendingHandle = WriteBlock(_dataBlock);
        _pendingIndexEntry = true;
    }

    private LevelDbBlockHandle WriteBlock(LevelDbBlockBuilder block)
    {
        var contents = block.Finish();
        var handle = new LevelDbBlockHandle((ulong)_offset, (ulong)contents.Length);
        _output.Write(contents);
        Span<byte> trailer = stackalloc byte[LevelDbTableFormat.BlockTrailerSize];
        trailer[0] = LevelDbTableFormat.NoCompression;
        uint crc = Crc32C.Extend(Crc32C.Compute(contents), trailer[..1]);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(trailer[1..], Crc32C.Mask(crc));
        _output.Write(trailer);
        _offset += contents.Length + LevelDbTableFormat.BlockTrailerSize;
        block.Reset();
        return handle;
    }

    /// <summary>A short key k with start &lt;= k &lt; limit (TensorFlow's FindShortestSeparator).</summary>
    internal static byte[] ShortestSeparator(byte[] start, ReadOnlySpan<byte> limit)
    {
        int min = Math.Min(start.Length, limit.Length);
        int diff = 0;
        while (diff < min && start[diff] == limit[diff]) diff++;
        if (diff >= min)
            return start; // one is a prefix of the other: do not shorten
        byte b = start[diff];
        if (b < 0xff && b + 1 < limit[diff])
        {
            var result = start[..(diff + 1)];
            result[diff]++;
            return result;
        }
        return start;
    }

    /// <summary>A short key k &gt;= key (TensorFlow's FindShortSuccessor).</summary>
    internal static byte[] ShortSuccessor(byte[] key)
    {
        for (int i = 0; i < key.Length; i++)
        {
            if (key[i] != 0xff)
            {
                var result = key[..(i + 1)];
                result[i]++;
                return result;
            }
        }
        return key;
    }
}
