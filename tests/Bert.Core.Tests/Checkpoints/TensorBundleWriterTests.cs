using Bert.Core.Checkpoints;
using Bert.Tests;
using TorchSharp;

namespace Bert.Core.Tests.Checkpoints;

public class TensorBundleWriterTests
{
    [SharedFact(TensorFlowTestFiles.Fixture)]
    public void Rewriting_the_TensorFlow_fixture_gives_byte_identical_index_and_data_files()
    {
        using var folder = new TempFolder();
        string prefix = Path.Combine(folder.Path, "bert_model.ckpt");
        using (var source = TensorFlowCheckpointReader.Open(TensorFlowTestFiles.FixturePrefix))
        using (var writer = new TensorBundleWriter(prefix))
        {
            foreach (var t in source.Tensors.OrderBy(t => t.Offset))
                writer.Add(t.Name, t.DType, t.Shape, source.ReadBytes(t.Name));
            writer.Finish();
        }

        File.ReadAllBytes(prefix + ".data-00000-of-00001").Should()
            .Equal(File.ReadAllBytes(TensorFlowTestFiles.FixturePrefix + ".data-00000-of-00001"));
        File.ReadAllBytes(prefix + ".index").Should()
            .Equal(File.ReadAllBytes(TensorFlowTestFiles.FixturePrefix + ".index"), "the index layout is TensorFlow's, byte for byte");
        Directory.GetFiles(folder.Path).Should().HaveCount(2, "no temporary file is left behind");
    }

    [Fact]
    public void Every_supported_dtype_round_trips_bit_exactly_with_its_shape()
    {
        TorchRuntime.EnsureAvailable();
        using var folder = new TempFolder();
        string prefix = Path.Combine(folder.Path, "model.ckpt-7");
        var random = new Random(1234);
        var expected = new Dictionary<string, (TensorFlowDType DType, long[] Shape, byte[] Bytes)>();
        var cases = new (TensorFlowDType DType, long[] Shape)[]
        {
            (TensorFlowDType.Float32, [3, 5]), (TensorFlowDType.Float16, [7]), (TensorFlowDType.BFloat16, [2, 3, 4]),
            (TensorFlowDType.Int32, [6]), (TensorFlowDType.Int64, []), (TensorFlowDType.Float64, [2, 2]),
            (TensorFlowDType.Int8, [9]), (TensorFlowDType.UInt8, [4]), (TensorFlowDType.Int16, [3]),
            (TensorFlowDType.Bool, [5]), (TensorFlowDType.Float32, [0, 4]), (TensorFlowDType.Float32, []),
        };
        using (var writer = new TensorBundleWriter(prefix))
        {
            for (int i = 0; i < cases.Length; i++)
            {
                var (dtype, shape) = cases[i];
                long count = shape.Aggregate(1L, (a, b) => a * b);
                var bytes = new byte[count * dtype.ElementSize()];
                random.NextBytes(bytes);
                if (dtype == TensorFlowDType.Bool) for (int j = 0; j < bytes.Length; j++) bytes[j] &= 1;
                if (dtype is TensorFlowDType.Float32 or TensorFlowDType.Float64 or TensorFlowDType.Float16 or TensorFlowDType.BFloat16)
                    FillFinite(bytes, dtype, random);
                string name = $"t{i:D2}/{dtype}";
                writer.Add(name, dtype, shape, bytes);
                expected[name] = (dtype, shape, bytes);
            }
            writer.Finish();
        }

        using var reader = TensorFlowCheckpointReader.Open(prefix);
        reader.Tensors.Select(t => t.Name).Should().BeEquivalentTo(expected.Keys);
        foreach (var (name, (dtype, shape, bytes)) in expected)
        {
            var info = reader.GetInfo(name);
            info.DType.Should().Be(dtype);
            info.Shape.Should().Equal(shape);
            reader.ReadBytes(name).Should().Equal(bytes, name);
            using var t = reader.ReadTensor(name);
            t.shape.Should().Equal(shape, name);
            t.dtype.Should().Be(dtype.ToScalarType()!.Value, name);
            if (bytes.Length > 0)
                t.bytes.ToArray().Should().Equal(bytes, name);
        }
    }

    [Fact]
    public void ReadFloats_converts_float16_and_bfloat16_like_libtorch()
    {
        TorchRuntime.EnsureAvailable();
        using var folder = new TempFolder();
        string prefix = Path.Combine(folder.Path, "half.ckpt");
        using var source = torch.linspace(-3.5, 70000, 101, torch.float32);
        using var half = source.to(torch.float16);
        using var bf = source.to(torch.bfloat16);
        TensorFlowCheckpointWriter.Write(prefix, [new("half", half), new("bf", bf)]);

        using var reader = TensorFlowCheckpointReader.Open(prefix);
        reader.GetInfo("half").DType.Should().Be(TensorFlowDType.Float16);
        reader.GetInfo("bf").DType.Should().Be(TensorFlowDType.BFloat16);
        using var halfAsFloat = half.to(torch.float32);
        using var bfAsFloat = bf.to(torch.float32);
        reader.ReadFloats("half").Should().Equal(halfAsFloat.data<float>().ToArray(), "float16 -> float32 is exact in both");
        reader.ReadFloats("bf").Should().Equal(bfAsFloat.data<float>().ToArray());
    }

    [Fact]
    public void A_two_shard_bundle_spreads_tensors_over_both_data_files_and_reads_back()
    {
        using var folder = new TempFolder();
        string prefix = Path.Combine(folder.Path, "sharded.ckpt");
        var values = Enumerable.Range(0, 10).ToDictionary(i => $"w{i}", i => Enumerable.Range(0, 10 + i).Select(j => i * 100f + j).ToArray());
        using (var writer = new TensorBundleWriter(prefix, new TensorBundleWriterOptions { NumShards = 2 }))
        {
            foreach (var (name, v) in values) writer.Add(name, v, v.Length);
            writer.Finish();
        }

        File.Exists(prefix + ".data-00000-of-00002").Should().BeTrue();
        File.Exists(prefix + ".data-00001-of-00002").Should().BeTrue();
        using var reader = TensorFlowCheckpointReader.Open(prefix);
        reader.NumShards.Should().Be(2);
        reader.Tensors.Select(t => t.ShardId).Distinct().Should().BeEquivalentTo([0, 1]);
        foreach (var (name, v) in values)
            reader.ReadFloats(name).Should().Equal(v, name);
        (new FileInfo(prefix + ".data-00000-of-00002").Length + new FileInfo(prefix + ".data-00001-of-00002").Length)
            .Should().Be(values.Values.Sum(v => v.Length * 4L));
    }

    [Fact]
    public void An_index_larger_than_one_block_is_split_like_TensorFlow_and_reads_back()
    {
        using var folder = new TempFolder();
        string prefix = Path.Combine(folder.Path, "many.ckpt");
        const int n = 3000; // ~100 bytes per entry: about 300 KB of index, over the 256 KiB block size
        using (var writer = new TensorBundleWriter(prefix))
        {
            for (int i = 0; i < n; i++)
                writer.Add(Name(i), [i, -i], 2);
            writer.Finish();
        }

        new FileInfo(prefix + ".index").Length.Should().BeGreaterThan(262144);
        using var reader = TensorFlowCheckpointReader.Open(prefix);
        reader.Tensors.Should().HaveCount(n);
        reader.ReadFloats(Name(2999)).Should().Equal(2999f, -2999f);
        reader.Tensors[0].Name.Should().Be(Name(0));

        // The varying part comes first, so prefix compression cannot shrink the keys.
        static string Name(int i) => $"v{i:D5}/a_rather_long_variable_name_to_make_the_index_grow_beyond_one_block";
    }

    [Fact]
    public void The_short_index_keys_follow_TensorFlows_separator_rules()
    {
        // Hand-computed from FindShortestSeparator / FindShortSuccessor in tensorflow/core/lib/io/table_builder.cc.
        Sep("abcdefg", "abzzz").Should().Be("abd");
        Sep("abc", "abcd").Should().Be("abc", "a prefix is not shortened");
        Sep("abc", "abd").Should().Be("abc", "c+1 is not below d");
        LevelDbTableBuilder.ShortSuccessor("global_step"u8.ToArray()).Should().Equal("h"u8.ToArray());
        LevelDbTableBuilder.ShortSuccessor([0xff, 0xff, 0x41]).Should().Equal(0xff, 0xff, 0x42);

        static string Sep(string a, string b) =>
            System.Text.Encoding.ASCII.GetString(LevelDbTableBuilder.ShortestSeparator(System.Text.Encoding.ASCII.GetBytes(a), System.Text.Encoding.ASCII.GetBytes(b)));
    }

    [Fact]
    public void Disposing_without_Finish_leaves_no_file_and_keeps_an_existing_checkpoint()
    {
        using var folder = new TempFolder();
        string prefix = Path.Combine(folder.Path, "model.ckpt");
        TensorFlowCheckpointWriter.Write(prefix, []);
        var before = File.ReadAllBytes(prefix + ".index");
        using (var writer = new TensorBundleWriter(prefix))
        {
            writer.Add("x", [1f, 2f], 2);
            Directory.GetFiles(folder.Path).Should().Contain(f => f.Contains(".tempstate"));
        }

        Directory.GetFiles(folder.Path).Select(Path.GetFileName).Should().BeEquivalentTo(["model.ckpt.index", "model.ckpt.data-00000-of-00001"]);
        File.ReadAllBytes(prefix + ".index").Should().Equal(before);
        using var reader = TensorFlowCheckpointReader.Open(prefix);
        reader.Tensors.Should().BeEmpty();
    }

    [Fact]
    public void Bad_arguments_are_rejected_with_the_tensor_named()
    {
        using var folder = new TempFolder();
        using var writer = new TensorBundleWriter(Path.Combine(folder.Path, "bad.ckpt"));
        writer.Add("a", [1f], 1);

        writer.Invoking(w => w.Add("a", [1f], 1)).Should().Throw<ArgumentException>().WithMessage("*'a'*already*");
        writer.Invoking(w => w.Add("b", [1f, 2f], 3)).Should().Throw<ArgumentException>().WithMessage("*'b'*needs 12 bytes, got 8*");
        writer.Invoking(w => w.Add("c", TensorFlowDType.String, [1], [0])).Should().Throw<ArgumentException>().WithMessage("*'c'*String*");
        writer.Invoking(w => w.Add("", [1f], 1)).Should().Throw<ArgumentException>();
        var options = () => new TensorBundleWriter(Path.Combine(folder.Path, "x"), new TensorBundleWriterOptions { NumShards = 0 });
        options.Should().Throw<ArgumentException>().WithMessage("*NumShards*");
    }

    [Fact]
    public void A_Hugging_Face_state_dict_is_written_with_Google_names_and_transposed_kernels()
    {
        TorchRuntime.EnsureAvailable();
        using var folder = new TempFolder();
        string prefix = Path.Combine(folder.Path, "tf", "model.ckpt-5"); // the writer creates tf/
        using var q = torch.arange(12, torch.float32).reshape(3, 4);   // Linear weight (out 3, in 4)
        using var ln = torch.ones(4);
        using var ids = torch.arange(8, torch.int64);
        var skipped = TensorFlowCheckpointWriter.WriteBertStateDict(prefix,
            [new("encoder.layer.0.attention.self.query.weight", q), new("embeddings.LayerNorm.weight", ln), new("embeddings.position_ids", ids)],
            globalStep: 5);

        skipped.Should().Equal("embeddings.position_ids");
        using var reader = TensorFlowCheckpointReader.Open(prefix);
        reader.Tensors.Select(t => t.Name).Should().Equal(
            "bert/embeddings/LayerNorm/gamma", "bert/encoder/layer_0/attention/self/query/kernel", "global_step");
        reader.GetInfo("bert/encoder/layer_0/attention/self/query/kernel").Shape.Should().Equal(4, 3);
        reader.ReadFloats("bert/encoder/layer_0/attention/self/query/kernel").Should().Equal(0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11);
        BitConverter.ToInt64(reader.ReadBytes("global_step")).Should().Be(5);
    }

    private static void FillFinite(byte[] bytes, TensorFlowDType dtype, Random random)
    {
        switch (dtype)
        {
            case TensorFlowDType.Float32:
                for (int i = 0; i < bytes.Length; i += 4) BitConverter.TryWriteBytes(bytes.AsSpan(i), (float)(random.NextDouble() * 4 - 2));
                break;
            case TensorFlowDType.Float64:
                for (int i = 0; i < bytes.Length; i += 8) BitConverter.TryWriteBytes(bytes.AsSpan(i), random.NextDouble() * 4 - 2);
                break;
            case TensorFlowDType.Float16:
                for (int i = 0; i < bytes.Length; i += 2) BitConverter.TryWriteBytes(bytes.AsSpan(i), (Half)(random.NextDouble() * 4 - 2));
                break;
            default: // bfloat16: the upper half of a float32
                for (int i = 0; i < bytes.Length; i += 2)
                    BitConverter.TryWriteBytes(bytes.AsSpan(i), (ushort)(BitConverter.SingleToUInt32Bits((float)(random.NextDouble() * 4 - 2)) >> 16));
                break;
        }
    }
}
