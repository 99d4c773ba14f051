using System.Text.Json;
using Bert.Core.Checkpoints;
using Bert.Tests;
using TorchSharp;

namespace Bert.Core.Tests.Checkpoints;

public class TensorFlowCheckpointReaderTests
{
    [SharedFact(TensorFlowTestFiles.Fixture)]
    public void Reads_every_tensor_of_the_keras_bert_fixture_with_its_CRC_verified()
    {
        using var reader = TensorFlowCheckpointReader.Open(TensorFlowTestFiles.FixturePrefix);

        reader.Tensors.Should().HaveCount(139, "46 weights, their adam_m and adam_v slots, and global_step");
        reader.NumShards.Should().Be(1);
        long total = 0;
        foreach (var t in reader.Tensors)
        {
            var bytes = reader.ReadBytes(t.Name); // throws on a CRC mismatch
            bytes.Length.Should().Be((int)t.Size);
            total += bytes.Length;
        }
        total.Should().Be(new FileInfo(TensorFlowTestFiles.FixturePrefix + ".data-00000-of-00001").Length,
            "the tensors tile the data file");
        reader.Tensors.Select(t => t.Name).Should().BeInAscendingOrder(StringComparer.Ordinal);
    }

    [SharedFact(TensorFlowTestFiles.Fixture)]
    public void Entries_equal_what_the_independent_Python_reader_decoded()
    {
        using var golden = TensorFlowTestFiles.Golden();
        using var reader = TensorFlowCheckpointReader.Open(TensorFlowTestFiles.FixturePrefix);
        var expected = golden.RootElement.GetProperty("tensors").EnumerateArray().ToList();

        reader.Tensors.Select(t => t.Name).Should().Equal(expected.Select(e => e.GetProperty("name").GetString()));
        foreach (var (info, e) in reader.Tensors.Zip(expected))
        {
            info.DType.ToString().ToLowerInvariant().Should().Be(e.GetProperty("dtype").GetString(), info.Name);
            info.Shape.Should().Equal(e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()), info.Name);
            info.ShardId.Should().Be(e.GetProperty("shard").GetInt32());
            info.Offset.Should().Be(e.GetProperty("offset").GetInt64());
            info.Size.Should().Be(e.GetProperty("size").GetInt64());
            info.Crc32C.Should().Be(e.GetProperty("crc32c").GetUInt32());
        }
    }

    [SharedFact(TensorFlowTestFiles.Fixture)]
    public void Values_equal_what_the_independent_Python_reader_decoded()
    {
        using var golden = TensorFlowTestFiles.Golden();
        using var reader = TensorFlowCheckpointReader.Open(TensorFlowTestFiles.FixturePrefix);
        int full = 0;
        foreach (var e in golden.RootElement.GetProperty("tensors").EnumerateArray())
        {
            string name = e.GetProperty("name").GetString()!;
            double[] values = reader.GetInfo(name).DType == TensorFlowDType.Int64
                ? ReadInt64(reader, name)
                : reader.ReadFloats(name).Select(v => (double)v).ToArray();
            values.Take(6).Should().Equal(e.GetProperty("first").EnumerateArray().Select(x => x.GetDouble()), name);
            values.Sum().Should().BeApproximately(e.GetProperty("sum").GetDouble(), 1e-9, name);
            if (e.GetProperty("values").ValueKind == JsonValueKind.Array)
            {
                values.Should().Equal(e.GetProperty("values").EnumerateArray().Select(x => x.GetDouble()), name);
                full++;
            }
        }
        full.Should().Be(5);
    }

    [SharedFact(TensorFlowTestFiles.Fixture)]
    public void Names_dtypes_and_shapes_agree_with_bert_config()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(SharedData.PathOf("fixtures/keras-bert-tiny/bert_config.json")));
        var c = config.RootElement;
        long h = c.GetProperty("hidden_size").GetInt64(), inter = c.GetProperty("intermediate_size").GetInt64();
        long vocab = c.GetProperty("vocab_size").GetInt64(), pos = c.GetProperty("max_position_embeddings").GetInt64();
        long types = c.GetProperty("type_vocab_size").GetInt64();
        int layers = c.GetProperty("num_hidden_layers").GetInt32();
        using var reader = TensorFlowCheckpointReader.Open(TensorFlowTestFiles.FixturePrefix);

        long[] Expected(string name) => name switch
        {
            "bert/embeddings/word_embeddings" => [vocab, h],
            "bert/embeddings/position_embeddings" => [pos, h],
            "bert/embeddings/token_type_embeddings" => [types, h],
            "cls/predictions/output_bias" => [vocab],
            "cls/seq_relationship/output_weights" => [2, h],
            "cls/seq_relationship/output_bias" => [2],
            _ when name.EndsWith("intermediate/dense/kernel", StringComparison.Ordinal) => [h, inter],
            _ when name.EndsWith("intermediate/dense/bias", StringComparison.Ordinal) => [inter],
            _ when name.EndsWith("/output/dense/kernel", StringComparison.Ordinal) && !name.Contains("attention") => [inter, h],
            _ when name.EndsWith("/kernel", StringComparison.Ordinal) => [h, h],
            _ => [h],
        };

        var weights = BertCheckpointNameMap.TensorFlowNames(layers, pretrainingHeads: true);
        weights.Should().HaveCount(46);
        foreach (var name in weights)
        {
            foreach (var slot in new[] { "", "/adam_m", "/adam_v" })
            {
                var info = reader.GetInfo(name + slot);
                info.DType.Should().Be(TensorFlowDType.Float32);
                info.Shape.Should().Equal(Expected(name), name + slot);
            }
        }
        var step = reader.GetInfo("global_step");
        step.DType.Should().Be(TensorFlowDType.Int64);
        step.Shape.Should().BeEmpty();
        reader.Tensors.Should().HaveCount(weights.Count * 3 + 1, "nothing else is in the checkpoint");
    }

    [SharedFact(TensorFlowTestFiles.Fixture)]
    public void ReadTensor_keeps_dtype_and_shape()
    {
        TorchRuntime.EnsureAvailable();
        using var reader = TensorFlowCheckpointReader.Open(TensorFlowTestFiles.FixturePrefix);

        using var kernel = reader.ReadTensor("bert/encoder/layer_1/attention/self/query/kernel");
        kernel.dtype.Should().Be(torch.ScalarType.Float32);
        kernel.shape.Should().Equal(4, 4);
        kernel.data<float>().ToArray().Should().Equal(reader.ReadFloats("bert/encoder/layer_1/attention/self/query/kernel"));

        using var step = reader.ReadTensor("global_step");
        step.dtype.Should().Be(torch.ScalarType.Int64);
        step.shape.Should().BeEmpty();
        step.item<long>().Should().Be(BitConverter.ToInt64(reader.ReadBytes("global_step")));
    }

    [SharedFact(TensorFlowTestFiles.Fixture)]
    public void Opens_from_the_prefix_the_index_path_or_a_data_file_path()
    {
        string prefix = TensorFlowTestFiles.FixturePrefix;
        foreach (var path in new[] { prefix, prefix + ".index", prefix + ".data-00000-of-00001" })
        {
            using var reader = TensorFlowCheckpointReader.Open(path);
            reader.IndexPath.Should().Be(Path.GetFullPath(prefix + ".index"));
            reader.Contains("bert/pooler/dense/kernel").Should().BeTrue();
            reader.Contains("bert/pooler/dense/kernel/adam_q").Should().BeFalse();
        }
    }

    [SharedFact(TensorFlowTestFiles.Fixture)]
    public void Unknown_tensor_names_and_non_float_reads_say_what_is_wrong()
    {
        using var reader = TensorFlowCheckpointReader.Open(TensorFlowTestFiles.FixturePrefix);

        reader.Invoking(r => r.GetInfo("bert/nope")).Should().Throw<KeyNotFoundException>().WithMessage("*bert_model.ckpt.index*bert/nope*");
        reader.Invoking(r => r.ReadFloats("global_step")).Should().Throw<NotSupportedException>().WithMessage("*global_step*Int64*");
        reader.TryGetInfo("bert/nope", out _).Should().BeFalse();
    }

    [Fact]
    public void A_missing_index_is_FileNotFound_naming_it()
    {
        string prefix = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "model.ckpt-1400000");
        var act = () => TensorFlowCheckpointReader.Open(prefix);
        act.Should().Throw<FileNotFoundException>().Which.FileName.Should().Be(prefix + ".index");
    }

    private static double[] ReadInt64(TensorFlowCheckpointReader reader, string name) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(reader.ReadBytes(name)).ToArray().Select(v => (double)v).ToArray();
}
