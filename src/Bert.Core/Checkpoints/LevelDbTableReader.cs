using System.Buffers.Binary;

namespace Bert.Core.Checkpoints;

/// <summary>
/// Reads every key/value of an uncompressed LevelDB-format table held in memory (a tensor bundle's <c>.index</c>).
/// Every block checksum is verified, every handle and length is bounds-checked, keys must be strictly increasing;
/// any violation is an <see cref="InvalidDataException"/> (the caller adds the file name).
/// </summary>
internal static class LevelDbTableReader
{
    /// <summary>All entries in key order.</summary>
    public static List<KeyValuePair<byte[], byte[]>> ReadAll(ReadOnlySpan<byte> file)
    {
        if (file.Length < LevelDbTableFormat.FooterSize)
            throw new InvalidDataException(
                $"the table is {file.Length} bytes, shorter than its {LevelDbTableFormat.FooterSize}-byte footer (truncated file?)");
        int footerStart = file.Length - LevelDbTableFormat.FooterSize;
        var footer = file[footerStart..];
        ulong magic = BinaryPrimitives.ReadUInt64LittleEndian(footer[40..]);
        if (magic != LevelDbTableFormat.Magic)
            throw new InvalidDataException(
                $"bad table magic number 0x{magic:x16} (expected 0x{LevelDbTableFormat.Magic:x16}): not a LevelDB table, or truncated");
        var handles = footer[..40];
        int pos = 0;
        LevelDbBlockHandle.Decode(handles, ref pos, "table footer (metaindex handle)");
        var indexHandle = LevelDbBlockHandle.Decode(handles, ref pos, "table footer (index handle)");

        var index = ReadBlock(file, indexHandle, footerStart, "index block");
        // Prefix compression lets a small block expand into long keys; each entry costs at least ~20 bytes (varints and
        // a BundleEntryProto), so real indexes expand well under 32x. A corrupt block could otherwise re-expand one
        // long key into gigabytes.
        var budget = new KeyBudget(32L * file.Length + (16 << 20));
        var result = new List<KeyValuePair<byte[], byte[]>>();
        byte[]? previousKey = null;
        foreach (var (_, handleBytes) in ReadBlockEntries(index, "index block", null, budget))
        {
            int hp = 0;
            var handle = LevelDbBlockHandle.Decode(handleBytes, ref hp, "index block entry");
            var block = ReadBlock(file, handle, footerStart, $"data block at offset {handle.Offset}");
            var entries = ReadBlockEntries(block, $"data block at offset {handle.Offset}", previousKey, budget);
            if (entries.Count > 0)
                previousKey = entries[^1].Key;
            result.AddRange(entries);
        }
        return result;
    }

    /// <summary>
    /// The handles of every block (data blocks in index order, then the metaindex and index blocks), for tools and
    /// tests that need to know where the checksummed regions are.
    /// </summary>
    public static List<LevelDbBlockHandle> BlockHandles(ReadOnlySpan<byte> file)
    {
        ReadAll(file); // validates
        int footerStart = file.Length - LevelDbTableFormat.FooterSize;
        int pos = 0;
        var handles = file.Slice(footerStart, 40);
        var meta = LevelDbBlockHandle.Decode(handles, ref pos, "footer");
        var indexHandle = LevelDbBlockHandle.Decode(handles, ref pos, "footer");
        var index = ReadBlock(file, indexHandle, footerStart, "index block");
        var result = new List<LevelDbBlockHandle>();
        foreach (var (_, handleBytes) in ReadBlockEntries(index, "index block", null, new KeyBudget(long.MaxValue)))
        {
            int hp = 0;
            result.Add(LevelDbBlockHandle.Decode(handleBytes, ref hp, "index block entry"));
        }
        result.Add(meta);
        result.Add(indexHandle);
        return result;
    }

    private sealed class KeyBudget(long remaining)
    {
        public void Spend(long bytes, string what)
        {
            remaining -= bytes;
            if (remaining < 0)
                throw new InvalidDataException($"{what}: the prefix-compressed keys expand to an implausible size (corrupt block)");
        }
    }

    /// <summary>The contents of the block at <paramref name="handle"/>, after checking its trailer and checksum.</summary>
    private static ReadOnlySpan<byte> ReadBlock(ReadOnlySpan<byte> file, LevelDbBlockHandle handle, int limit, string what)
    {
        ulong end = (ulong)limit;
        if (handle.Offset > end || handle.Size > end - handle.Offset
            || end - handle.Offset - handle.Size < LevelDbTableFormat.BlockTrailerSize)
            throw new InvalidDataException(
                $"{what}: block handle (offset {handle.Offset}, size {handle.Size}) points outside the table data (which ends at byte {limit})");
        int offset = (int)handle.Offset, size = (int)handle.Size;
        var contents = file.Slice(offset, size);
        byte type = file[offset + size];
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(file[(offset + size + 1)..]);
        uint actual = Crc32C.Mask(Crc32C.Extend(Crc32C.Compute(contents), [type]));
        if (stored != actual)
            throw new InvalidDataException(
                $"{what}: block checksum mismatch (stored 0x{stored:x8}, computed 0x{actual:x8}): the file is corrupt");
        if (type == LevelDbTableFormat.SnappyCompression)
            throw new InvalidDataException(
                $"{what}: snappy-compressed blocks are not supported (TensorFlow writes tensor bundle indexes uncompressed)");
        if (type != LevelDbTableFormat.NoCompression)
            throw new InvalidDataException($"{what}: unknown block compression type {type}");
        return contents;
    }

    /// <summary>Decodes the prefix-compressed entries of a block (keys rebuilt, values copied).</summary>
    private static List<KeyValuePair<byte[], byte[]>> ReadBlockEntries(ReadOnlySpan<byte> block, string what, byte[]? previousKey, KeyBudget budget)
    {
        if (block.Length < 4)
            throw new InvalidDataException($"{what}: {block.Length} bytes is too short for a block (no restart count)");
        uint restarts = BinaryPrimitives.ReadUInt32LittleEndian(block[^4..]);
        if (restarts == 0 || restarts > (uint)(block.Length - 4) / 4)
            throw new InvalidDataException($"{what}: restart count {restarts} does not fit the {block.Length}-byte block");
        int limit = block.Length - 4 - 4 * (int)restarts;
        var entries = new List<KeyValuePair<byte[], byte[]>>();
        byte[] lastKey = [];
        int pos = 0;
        while (pos < limit)
        {
            var data = block[..limit];
            uint shared = LevelDbCoding.ReadVarint32(data, ref pos, what);
            uint unshared = LevelDbCoding.ReadVarint32(data, ref pos, what);
            uint valueLength = LevelDbCoding.ReadVarint32(data, ref pos, what);
            if (shared > (uint)lastKey.Length)
                throw new InvalidDataException(
                    $"{what}: entry at byte {pos} shares {shared} key bytes with a {lastKey.Length}-byte previous key");
            if ((ulong)unshared + valueLength > (ulong)(limit - pos))
                throw new InvalidDataException(
                    $"{what}: entry at byte {pos} declares {unshared} key and {valueLength} value bytes, beyond the block end");
            budget.Spend(shared + unshared, what);
            var key = new byte[shared + unshared];
            lastKey.AsSpan(0, (int)shared).CopyTo(key);
            data.Slice(pos, (int)unshared).CopyTo(key.AsSpan((int)shared));
            pos += (int)unshared;
            var value = data.Slice(pos, (int)valueLength).ToArray();
            pos += (int)valueLength;
            if (previousKey is not null && key.AsSpan().SequenceCompareTo(previousKey) <= 0)
                throw new InvalidDataException($"{what}: keys are not in strictly increasing order at byte {pos}");
            previousKey = key;
            entries.Add(new KeyValuePair<byte[], byte[]>(key, value));
            lastKey = key;
        }
        return entries;
    }
}
