using System.Buffers.Binary;
using System.Text;
using Bert.Core.Checkpoints;
using Bert.Tests;
using Xunit.Abstractions;

namespace Bert.Core.Tests.Checkpoints;

/// <summary>Malformed checkpoints (issue 9): every case ends in a documented exception naming the file and tensor.</summary>
public class TensorFlowCheckpointReaderRobustnessTests(ITestOutputHelper output)
{
    private const string Word = "bert/embeddings/word_embeddings";

    [SharedFact(TensorFlowTestFiles.Fixture)]
    public void An_index_truncated_at_any_offset_is_InvalidData_naming_the_file()
    {
        using var folder = new TempFolder();
        string prefix = TensorFlowTestFiles.CopyFixture(folder);
        var original = File.ReadAllBytes(prefix + ".index");
        for (int length = 0; length < original.Length; length++)
        {
            // Every offset through the table parser (in memory, fast) ...
            var parse = () => LevelDbTableReader.ReadAll(original.AsSpan(0, length));
            parse.Should().Throw<InvalidDataException>($"the index is cut at {length}");
            // ... and a spread of offsets (all of the footer) through Open, whose message names the file.
            if (length % 29 != 0 && length < original.Length - 60)
                continue;
            File.WriteAllBytes(prefix + ".index", original[..length]);
            var act = () => TensorFlowCheckpointReader.Open(prefix).Dispose();
            act.Should().Throw<InvalidDataException>($"the index is cut at {length}").WithMessage($"*{prefix}.index*");
        }
    }

    [SharedFact(TensorFlowTestFiles.Fixture)]
    public void Bad_magic_overlong_varints_and_handles_outside_the_file_are_InvalidData()
    {
        using var folder = new TempFolder();
        string prefix = TensorFlowTestFiles.CopyFixture(folder);
        var original = File.ReadAllBytes(prefix + ".index");
        int footer = original.Length - 48;

        Expect(With(original, footer + 40, 0x00), "*bad table magic*");
        var overlong = (byte[])original.Clone();
        overlong.AsSpan(footer, 11).Fill(0xff);
        Expect(overlong, "*varint*");
        var overflow = (byte[])original.Clone();
        overflow.AsSpan(footer, 9).Fill(0xff);
        overflow[footer + 9] = 0x7f; // 10th byte with more than bit 63
        Expect(overflow, "*overflows 64 bits*");
        Expect(WithFooter(original, metaOffset: 0, metaSize: 8, indexOffset: 1UL << 40, indexSize: 15), "*points outside*");
        Expect(WithFooter(original, 0, 8, (ulong)footer - 10, 15), "*points outside*");
        Expect(With(original, 100, (byte)(original[100] ^ 0x20)), "*checksum mismatch*");

        void Expect(byte[] index, string message)
        {
            File.WriteAllBytes(prefix + ".index", index);
            var act = () => TensorFlowCheckpointReader.Open(prefix).Dispose();
            act.Should().Throw<InvalidDataException>().WithMessage($"*{prefix}.index*").WithMessage(message);
        }
    }

    [SharedFact(TensorFlowTestFiles.Fixture)]
    public void A_flipped_data_byte_is_a_CRC32C_mismatch_naming_tensor_and_file()
    {
        using var folder = new TempFolder();
        string prefix = TensorFlowTestFiles.CopyFixture(folder);
        string data = prefix + ".data-00000-of-00001";
        var bytes = File.ReadAllBytes(data);
        bytes[960 + 17] ^= 0x01; // inside bert/embeddings/word_embeddings (offset 960, 240 bytes)
        File.WriteAllBytes(data, bytes);

        using var reader = TensorFlowCheckpointReader.Open(prefix);
        reader.Invoking(r => r.ReadFloats(Word)).Should().Throw<InvalidDataException>()
            .WithMessage($"CRC32C mismatch for tensor '{Word}' in file '{data}'*");
        reader.Invoking(r => r.ReadTensor(Word)).Should().Throw<InvalidDataException>().WithMessage("*CRC32C*");
        reader.ReadFloats("bert/embeddings/position_embeddings").Should().HaveCount(64, "other tensors still read");
    }

    [SharedFact(TensorFlowTestFiles.Fixture)]
    public void A_truncated_or_missing_data_file_is_reported_with_the_tensor()
    {
        using var folder = new TempFolder();
        string prefix = TensorFlowTestFiles.CopyFixture(folder);
        string data = prefix + ".data-00000-of-00001";
        var bytes = File.ReadAllBytes(data);
        File.WriteAllBytes(data, bytes[..1000]);

        var open = () => TensorFlowCheckpointReader.Open(prefix);
        open.Should().Throw<InvalidDataException>().WithMessage($"*'{Word}'*declares bytes 960..1200*{data}*only 1000 bytes*");

        File.Delete(data);
        open.Should().Throw<FileNotFoundException>().WithMessage($"*{data}*").Which.FileName.Should().Be(data);
    }

    [Fact]
    public void Entries_that_contradict_the_header_or_their_own_size_are_InvalidData()
    {
        using var folder = new TempFolder();
        string prefix = Path.Combine(folder.Path, "crafted.ckpt");
        File.WriteAllBytes(prefix + ".data-00000-of-00001", new byte[64]);
        File.WriteAllBytes(prefix + ".data-00000-of-00002", new byte[64]);
        var good = Entry(TensorFlowDType.Float32, [4], size: 16);

        Expect(Header(1), "*Shard id 3 of tensor 'w'*1 shards*", ("w", Entry(TensorFlowDType.Float32, [4], size: 16, shard: 3)));
        Expect(Header(1), "*shape [4]*Float32*'w'*need 16 bytes but the entry declares 12*", ("w", Entry(TensorFlowDType.Float32, [4], size: 12)));
        Expect(Header(1), "*'w'*declares bytes 0..4611686018427387904*only 64 bytes*",
            ("w", Entry(TensorFlowDType.Float32, [1L << 60], size: 1L << 62)));
        Expect(Header(1), "*shape [4294967296, 4294967296]*overflows*", ("w", Entry(TensorFlowDType.Float32, [1L << 32, 1L << 32], size: 16)));
        Expect(Header(1), "*Negative dimension*", ("w", Entry(TensorFlowDType.Float32, [-1], size: 16)));
        Expect(Header(1), "*Invalid dtype 0*", ("w", Entry(TensorFlowDType.Invalid, [4], size: 16)));
        Expect(Header(0), "*0 shards*", ("w", good));
        Expect(Header(1) with { Endianness = 2 }, "*unknown endianness 2*", ("w", good));
        Expect(Header(1) with { MinConsumer = 2 }, "*newer reader*", ("w", good));
        Expect(null, "*header entry*missing*", ("w", good));

        WriteIndex(prefix, Header(2), ("w", Entry(TensorFlowDType.Float32, [4], size: 16, shard: 1)));
        var missingShard = () => TensorFlowCheckpointReader.Open(prefix);
        missingShard.Should().Throw<FileNotFoundException>().WithMessage($"*{prefix}.data-00001-of-00002*'w'*shard 1*");

        void Expect(TensorBundleHeader? header, string message, params (string, TensorBundleEntry)[] entries)
        {
            WriteIndex(prefix, header, entries);
            var act = () => TensorFlowCheckpointReader.Open(prefix);
            act.Should().Throw<InvalidDataException>().WithMessage($"*{prefix}.index*").WithMessage(message);
        }
    }

    [Fact]
    public void A_big_endian_bundle_is_read_with_bytes_swapped_after_the_CRC_check()
    {
        // Hand-made like TensorFlow on a big-endian host: header endianness BIG, CRC over the stored bytes.
        using var folder = new TempFolder();
        string prefix = Path.Combine(folder.Path, "be.ckpt");
        var floats = new byte[12];
        BinaryPrimitives.WriteSingleBigEndian(floats, 1.5f);
        BinaryPrimitives.WriteSingleBigEndian(floats.AsSpan(4), -2.25f);
        BinaryPrimitives.WriteSingleBigEndian(floats.AsSpan(8), 1e-3f);
        var step = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(step, 123456789012L);
        File.WriteAllBytes(prefix + ".data-00000-of-00001", [.. floats, .. step]);
        WriteIndex(prefix, Header(1) with { Endianness = TensorBundleHeader.Big },
            ("f", new TensorBundleEntry { DType = 1, Shape = [3], Size = 12, Crc32C = Crc32C.Mask(Crc32C.Compute(floats)) }),
            ("global_step", new TensorBundleEntry { DType = 9, Shape = [], Offset = 12, Size = 8, Crc32C = Crc32C.Mask(Crc32C.Compute(step)) }));

        using var reader = TensorFlowCheckpointReader.Open(prefix);
        reader.IsBigEndian.Should().BeTrue();
        reader.ReadFloats("f").Should().Equal(1.5f, -2.25f, 1e-3f);
        BitConverter.ToInt64(reader.ReadBytes("global_step")).Should().Be(123456789012L);
    }

    [Fact]
    public void A_folder_opens_the_checkpoint_its_checkpoint_file_names_or_its_only_index()
    {
        using var folder = new TempFolder();
        TensorFlowCheckpointWriter.Write(Path.Combine(folder.Path, "model.ckpt-10"), []);
        using (var only = TensorFlowCheckpointReader.Open(folder.Path))
            only.Prefix.Should().Be(Path.Combine(folder.Path, "model.ckpt-10"));

        TensorFlowCheckpointWriter.Write(Path.Combine(folder.Path, "model.ckpt-20"), []);
        var ambiguous = () => TensorFlowCheckpointReader.Open(folder.Path);
        ambiguous.Should().Throw<FileNotFoundException>().WithMessage("*2 checkpoints*");

        File.WriteAllText(Path.Combine(folder.Path, "checkpoint"),
            "model_checkpoint_path: \"model.ckpt-20\"\nall_model_checkpoint_paths: \"model.ckpt-10\"\n");
        using var named = TensorFlowCheckpointReader.Open(folder.Path);
        named.Prefix.Should().Be(Path.Combine(folder.Path, "model.ckpt-20"));
    }

    [Fact]
    public void Recognised_but_unsupported_dtypes_are_listed_and_refused_as_invalid_data_when_read_as_tensors()
    {
        using var folder = new TempFolder();
        string prefix = Path.Combine(folder.Path, "strings.ckpt");
        var payload = "\u0003abc"u8.ToArray();
        File.WriteAllBytes(prefix + ".data-00000-of-00001", payload);
        WriteIndex(prefix, Header(1), ("names", new TensorBundleEntry
        {
            DType = (int)TensorFlowDType.String, Shape = [1], Size = payload.Length, Crc32C = Crc32C.Mask(Crc32C.Compute(payload)),
        }));

        using var reader = TensorFlowCheckpointReader.Open(prefix);
        reader.GetInfo("names").DType.Should().Be(TensorFlowDType.String);
        reader.ReadBytes("names").Should().Equal(payload);
        reader.Invoking(r => r.ReadTensor("names")).Should().Throw<InvalidDataException>().WithMessage("*'names'*strings.ckpt.index*String*");
        reader.Invoking(r => r.ReadFloats("names")).Should().Throw<NotSupportedException>();
    }

    [Theory]
    [InlineData(TensorFlowDType.String)]
    [InlineData(TensorFlowDType.Resource)]
    [InlineData(TensorFlowDType.Variant)]
    [InlineData((TensorFlowDType)99)]
    public void A_BERT_weight_of_a_non_numeric_dtype_is_InvalidData_naming_tensor_and_file_and_other_such_tensors_are_skipped(TensorFlowDType dtype)
    {
        TorchRuntime.EnsureAvailable();
        using var folder = new TempFolder();
        string prefix = Path.Combine(folder.Path, "odd.ckpt");
        var payload = "\u0003abc"u8.ToArray();
        File.WriteAllBytes(prefix + ".data-00000-of-00001", payload);
        TensorBundleEntry Odd() => new() { DType = (int)dtype, Shape = [1], Size = payload.Length, Crc32C = Crc32C.Mask(Crc32C.Compute(payload)) };

        WriteIndex(prefix, Header(1), ("bert/embeddings/word_embeddings", Odd()));
        var weight = () => BertCheckpointLoader.ReadStateDict(prefix);
        weight.Should().Throw<InvalidDataException>().WithMessage("*odd.ckpt.index*'bert/embeddings/word_embeddings'*floating-point*");

        WriteIndex(prefix, Header(1), ("some/lookup_table", Odd()));
        using var contents = BertCheckpointLoader.ReadContents(prefix);
        contents.Tensors.Should().BeEmpty();
        contents.Skipped.Should().ContainSingle().Which.Name.Should().Be("some/lookup_table");
    }

    [Fact]
    public void A_block_whose_keys_expand_quadratically_is_rejected_without_allocating_them()
    {
        // One 4000-byte key, then 30000 entries that each share it all and add one byte: ~570 MB of keys from ~130 KB.
        using var block = new MemoryStream();
        void Varint(ulong v) { while (v >= 0x80) { block.WriteByte((byte)(v | 0x80)); v >>= 7; } block.WriteByte((byte)v); }
        Varint(0); Varint(4000); Varint(0); block.Write(new byte[4000]);
        for (int i = 0; i < 30000; i++) { Varint(4000UL + (ulong)i); Varint(1); Varint(0); block.WriteByte(1); }
        var bytes = WrapAsTable(block.ToArray());

        var act = () => LevelDbTableReader.ReadAll(bytes);
        act.Should().Throw<InvalidDataException>().WithMessage("*implausible*");
    }

    [SharedFact(TensorFlowTestFiles.Fixture)]
    public void Two_thousand_seeded_mutations_read_correctly_or_throw_documented_exceptions()
    {
        using var folder = new TempFolder();
        string prefix = TensorFlowTestFiles.CopyFixture(folder);
        string indexPath = prefix + ".index", dataPath = prefix + ".data-00000-of-00001";
        var index = File.ReadAllBytes(indexPath);
        var data = File.ReadAllBytes(dataPath);
        var blocks = LevelDbTableReader.BlockHandles(index);
        var expected = ReadAll(prefix)!;
        var random = new Random(20261125);
        var outcomes = new Dictionary<string, int>();

        byte[] onDiskIndex = index, onDiskData = data;
        for (int i = 0; i < 2400; i++)
        {
            var idx = index;
            var dat = data;
            bool structural = false;
            switch (i / 400) // grouped by kind, so the file a kind leaves intact is not rewritten
            {
                case 0: idx = index[..random.Next(index.Length)]; break;
                case 1: dat = data[..random.Next(data.Length)]; break;
                case 2: idx = Flip(index, random); break;
                case 3: dat = Flip(data, random); break;
                case 4: idx = Flip(index, random); dat = Flip(data, random); break;
                default: idx = FlipWithinBlockAndFixCrc(index, blocks, random); structural = true; break;
            }
            if (!ReferenceEquals(idx, onDiskIndex)) File.WriteAllBytes(indexPath, onDiskIndex = idx);
            if (!ReferenceEquals(dat, onDiskData)) File.WriteAllBytes(dataPath, onDiskData = dat);
            string outcome;
            try
            {
                var actual = ReadAll(prefix);
                if (actual is null)
                    outcome = "opened, some reads rejected";
                else
                {
                    if (!structural)
                        actual.Should().BeEquivalentTo(expected, o => o.WithStrictOrdering(), $"mutation {i} read without error, so nothing changed");
                    outcome = "read fully";
                }
            }
            catch (InvalidDataException) { outcome = "InvalidData"; }
            catch (FileNotFoundException) { outcome = "FileNotFound"; }
            catch (NotSupportedException) when (structural) { outcome = "NotSupported"; }
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        output.WriteLine(string.Join(", ", outcomes.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value}")));
        outcomes.Values.Sum().Should().Be(2400);
        outcomes.GetValueOrDefault("InvalidData").Should().BeGreaterThan(1500);
        outcomes.Should().ContainKey("read fully", "flips in the footer padding change nothing");
    }

    /// <summary>All (name, dtype, shape, bytes) or null when Open worked but a read threw a documented exception.</summary>
    private static List<(string, TensorFlowDType, long[], byte[])>? ReadAll(string prefix)
    {
        using var reader = TensorFlowCheckpointReader.Open(prefix);
        var result = new List<(string, TensorFlowDType, long[], byte[])>();
        bool failed = false;
        foreach (var t in reader.Tensors)
        {
            try
            {
                result.Add((t.Name, t.DType, t.Shape, reader.ReadBytes(t.Name)));
            }
            catch (InvalidDataException) { failed = true; }
        }
        return failed ? null : result;
    }

    private static byte[] Flip(byte[] original, Random random)
    {
        var copy = (byte[])original.Clone();
        int flips = random.Next(1, 4);
        for (int f = 0; f < flips; f++)
            copy[random.Next(copy.Length)] ^= (byte)random.Next(1, 256);
        return copy;
    }

    /// <summary>Corrupts bytes inside one block and recomputes its checksum, so the parsers behind the CRC see garbage.</summary>
    private static byte[] FlipWithinBlockAndFixCrc(byte[] original, List<LevelDbBlockHandle> blocks, Random random)
    {
        var copy = (byte[])original.Clone();
        var block = blocks[random.Next(blocks.Count)];
        int offset = (int)block.Offset, size = (int)block.Size;
        int flips = random.Next(1, 4);
        for (int f = 0; f < flips; f++)
            copy[offset + random.Next(size)] ^= (byte)random.Next(1, 256);
        uint crc = Crc32C.Extend(Crc32C.Compute(copy.AsSpan(offset, size)), copy.AsSpan(offset + size, 1));
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(offset + size + 1), Crc32C.Mask(crc));
        return copy;
    }

    private static byte[] With(byte[] original, int position, byte value)
    {
        var copy = (byte[])original.Clone();
        copy[position] = value;
        return copy;
    }

    private static byte[] WithFooter(byte[] original, ulong metaOffset, ulong metaSize, ulong indexOffset, ulong indexSize)
    {
        var copy = (byte[])original.Clone();
        using var footer = new MemoryStream();
        new LevelDbBlockHandle(metaOffset, metaSize).EncodeTo(footer);
        new LevelDbBlockHandle(indexOffset, indexSize).EncodeTo(footer);
        footer.SetLength(40);
        footer.ToArray().CopyTo(copy, original.Length - 48);
        return copy;
    }

    /// <summary>A table whose only data block holds <paramref name="blockEntries"/> (plus one restart point).</summary>
    private static byte[] WrapAsTable(byte[] blockEntries)
    {
        using var file = new MemoryStream();
        file.Write(blockEntries);
        file.Write(new byte[] { 0, 0, 0, 0, 1, 0, 0, 0 }); // restart at 0, one restart
        int size = (int)file.Length;
        AppendTrailer(file, 0, size);
        long indexOffset = file.Length;
        var handle = new MemoryStream();
        new LevelDbBlockHandle(0, (ulong)size).EncodeTo(handle);
        var indexBlock = new byte[] { 0, 1, (byte)handle.Length, 0xff }.Concat(handle.ToArray()).Concat(new byte[] { 0, 0, 0, 0, 1, 0, 0, 0 }).ToArray();
        file.Write(indexBlock);
        AppendTrailer(file, (int)indexOffset, indexBlock.Length);
        using var footer = new MemoryStream();
        new LevelDbBlockHandle(0, 0).EncodeTo(footer);
        new LevelDbBlockHandle((ulong)indexOffset, (ulong)indexBlock.Length).EncodeTo(footer);
        footer.SetLength(40);
        file.Write(footer.ToArray());
        file.Write(BitConverter.GetBytes(0xdb4775248b80fb57UL));
        return file.ToArray();

        static void AppendTrailer(MemoryStream file, int offset, int size)
        {
            var contents = file.GetBuffer().AsSpan(offset, size);
            uint crc = Crc32C.Mask(Crc32C.Extend(Crc32C.Compute(contents), [0]));
            file.WriteByte(0);
            file.Write(BitConverter.GetBytes(crc));
        }
    }

    private static TensorBundleHeader Header(long numShards) => new(numShards, TensorBundleHeader.Little, 1, 0, []);

    private static TensorBundleEntry Entry(TensorFlowDType dtype, long[] shape, long size, long shard = 0) =>
        new() { DType = (int)dtype, Shape = shape, Size = size, ShardId = shard, Crc32C = 1 };

    private static void WriteIndex(string prefix, TensorBundleHeader? header, params (string Key, TensorBundleEntry Entry)[] entries)
    {
        using var file = new FileStream(prefix + ".index", FileMode.Create);
        var table = new LevelDbTableBuilder(file);
        if (header is not null) table.Add([], header.Serialize());
        foreach (var (key, entry) in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            table.Add(Encoding.UTF8.GetBytes(key), entry.Serialize());
        table.Finish();
    }
}
