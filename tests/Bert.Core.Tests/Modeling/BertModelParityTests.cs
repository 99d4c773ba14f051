using Bert.Core.Checkpoints;
using Bert.Core.Modeling;
using Bert.Tests;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Modeling;

/// <summary>
/// BertModel against independent references: the keras-bert TensorFlow checkpoint with outputs from PyTorch's own
/// TransformerEncoderLayer, and tiny random BERTs whose outputs make_model_goldens.py computed op by op in float64.
/// </summary>
public class BertModelParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    [SharedFact(ModelTestData.KerasFixture)]
    public void Keras_bert_TensorFlow_checkpoint_matches_the_independent_PyTorch_outputs_within_1e_5()
    {
        var builder = new BertModelBuilder(BertConfig.FromJsonFile(ModelTestData.KerasConfig))
            .WithCheckpoint(ModelTestData.KerasPrefix);
        using var model = builder.Build();
        var report = builder.LastLoadReport!;
        output.WriteLine(report.ToString());
        report.Loaded.Should().HaveCount(39, "5 embedding tensors, 16 per layer x 2, pooler 2");
        report.Missing.Should().BeEmpty();
        report.Unexpected.Should().BeEmpty();
        report.Skipped.Count(s => s.Note == "optimizer slot").Should().Be(92, "adam_m and adam_v of 46 weights");
        report.Skipped.Count(s => s.Note!.StartsWith("pre-training head", StringComparison.Ordinal)).Should().Be(7);
        report.Skipped.Should().Contain(s => s.Name == "global_step");

        var expected = ModelTestData.ReadExpected(ModelTestData.KerasExpected);
        using var result = ModelTestData.Run(model, expected);
        var (sequenceError, compared) = ModelTestData.MaxAbsError(result.SequenceOutput, expected.Sequence);
        double pooledError = ModelTestData.MaxAbsError(result.PooledOutput, expected.Pooled);
        output.WriteLine($"keras-bert-tiny: max |diff| sequence {sequenceError:E2} over {compared} values, pooled {pooledError:E2}");
        compared.Should().Be((13 + 5 + 8) * 4, "only unpadded positions are compared");
        sequenceError.Should().BeLessThan(Tolerance);
        pooledError.Should().BeLessThan(Tolerance);
    }

    [Theory]
    [InlineData("gelu", LinearKernel.Auto)]
    [InlineData("gelu_new", LinearKernel.Auto)]
    [InlineData("relu", LinearKernel.Auto)]
    [InlineData("gelu", LinearKernel.OneDnn)]
    public void Hugging_Face_folder_written_by_Python_matches_the_float64_reference_at_every_position(string variant, LinearKernel kernel)
    {
        string folder = ModelTestData.Variant(variant);
        var builder = BertModelBuilder.FromConfigFile(Path.Combine(folder, "config.json")).WithCheckpoint(folder);
        using var model = builder.Build();
        BertLinear.SetKernel(model, kernel);
        output.WriteLine(builder.LastLoadReport!.ToString());
        builder.LastLoadReport!.Loaded.Should().HaveCount(5 + 16 * 2 + 2);
        model.Config.HiddenAct.Should().Be(variant);

        var expected = ModelTestData.ReadExpected(Path.Combine(folder, "expected_outputs.json"));
        using var result = ModelTestData.Run(model, expected);
        var (sequenceError, compared) = ModelTestData.MaxAbsError(result.SequenceOutput, expected.Sequence);
        double pooledError = ModelTestData.MaxAbsError(result.PooledOutput, expected.Pooled);
        output.WriteLine($"{variant}: max |diff| sequence {sequenceError:E2} over {compared} values (padding included), pooled {pooledError:E2}");
        compared.Should().Be(3 * 9 * 8, "padded positions are compared too");
        sequenceError.Should().BeLessThan(Tolerance);
        pooledError.Should().BeLessThan(Tolerance);
    }

    [Fact]
    public void Pytorch_model_bin_written_by_torch_save_matches_the_float64_reference()
    {
        string folder = ModelTestData.Variant("gelu_new-bin");
        var builder = BertModelBuilder.FromConfigFile(Path.Combine(folder, "config.json")).WithCheckpoint(folder);
        using var model = builder.Build();
        var report = builder.LastLoadReport!;
        output.WriteLine(report.ToString());
        report.Format.Should().Be("Hugging Face folder (pytorch_model.bin)");
        report.Loaded.Should().HaveCount(39);
        report.Skipped.Should().ContainSingle().Which.Name.Should().Be("bert.embeddings.position_ids");

        var expected = ModelTestData.ReadExpected(Path.Combine(ModelTestData.Variant("gelu_new"), "expected_outputs.json"));
        using var result = ModelTestData.Run(model, expected);
        var (sequenceError, _) = ModelTestData.MaxAbsError(result.SequenceOutput, expected.Sequence);
        output.WriteLine($"pytorch_model.bin: max |diff| sequence {sequenceError:E2}");
        sequenceError.Should().BeLessThan(Tolerance);
        ModelTestData.MaxAbsError(result.PooledOutput, expected.Pooled).Should().BeLessThan(Tolerance);
    }

    [Fact]
    public void The_three_activations_give_different_outputs_on_the_same_weights()
    {
        // Guards the parity theory against an activation switch that is silently ignored.
        string folder = ModelTestData.Variant("gelu");
        var expected = ModelTestData.ReadExpected(Path.Combine(folder, "expected_outputs.json"));
        var config = BertConfig.FromJsonFile(Path.Combine(folder, "config.json"));
        config.HiddenAct = "relu";
        using var relu = new BertModelBuilder(config).WithCheckpoint(folder).Build();
        using var result = ModelTestData.Run(relu, expected);
        ModelTestData.MaxAbsError(result.SequenceOutput, expected.Sequence).MaxError.Should().BeGreaterThan(1e-3);
    }

    [Fact]
    public void Save_then_load_Hugging_Face_folder_gives_bit_identical_outputs()
    {
        using var folder = new Bert.Core.Tests.Checkpoints.TempFolder();
        var config = ModelTestData.TinyConfig("gelu_new");
        using var original = new BertModelBuilder(config).WithSeed(7).Build();
        BertCheckpointLoader.SaveHuggingFace(original, folder.Path);
        File.Exists(Path.Combine(folder.Path, "config.json")).Should().BeTrue();
        File.Exists(Path.Combine(folder.Path, "model.safetensors")).Should().BeTrue();
        Directory.GetFiles(folder.Path).Select(Path.GetFileName).Should().BeEquivalentTo(
            ["config.json", "model.safetensors", "bert_net_manifest.json", ".bert_net.lock"], "no temporary files are left behind");

        var builder = BertModelBuilder.FromConfigFile(Path.Combine(folder.Path, "config.json")).WithSeed(99).WithCheckpoint(folder.Path);
        using var loaded = builder.Build();
        builder.LastLoadReport!.IsComplete.Should().BeTrue();

        var (ids, types, mask) = ModelTestData.RandomBatch(config, 3, 10, 5);
        using (ids) using (types) using (mask) using (no_grad())
        {
            using var a = original.forward(ids, types, mask, true);
            using var b = loaded.forward(ids, types, mask, true);
            a.SequenceOutput.data<float>().ToArray().Should().Equal(b.SequenceOutput.data<float>().ToArray());
            a.PooledOutput.data<float>().ToArray().Should().Equal(b.PooledOutput.data<float>().ToArray());
        }
        // A different seed without the checkpoint would differ: the equality above is the checkpoint's doing.
        using var fresh = new BertModelBuilder(config).WithSeed(99).Build();
        fresh.state_dict()["pooler.dense.weight"].data<float>().ToArray().Should().NotEqual(original.state_dict()["pooler.dense.weight"].data<float>().ToArray());
    }

    [Fact]
    public void A_saved_folder_is_readable_by_an_independent_safetensors_header_check()
    {
        // The format as Python's safetensors/transformers expect it: 8-byte little-endian length, JSON header padded
        // to 8 bytes, __metadata__ {"format": "pt"}, HF names, contiguous little-endian F32 data in order.
        using var folder = new Bert.Core.Tests.Checkpoints.TempFolder();
        using var model = new BertModel(ModelTestData.TinyConfig());
        BertCheckpointLoader.SaveHuggingFace(model, folder.Path);
        var bytes = File.ReadAllBytes(Path.Combine(folder.Path, "model.safetensors"));
        long n = BitConverter.ToInt64(bytes, 0);
        (n % 8).Should().Be(0);
        using var header = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        header.RootElement.GetProperty("__metadata__").GetProperty("format").GetString().Should().Be("pt");
        var q = header.RootElement.GetProperty("encoder.layer.1.attention.self.query.weight");
        q.GetProperty("dtype").GetString().Should().Be("F32");
        q.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).Should().Equal(8, 8);
        long begin = q.GetProperty("data_offsets")[0].GetInt64();
        float first = BitConverter.ToSingle(bytes, (int)(8 + n + begin));
        first.Should().Be(model.state_dict()["encoder.layer.1.attention.self.query.weight"][0, 0].item<float>());
        long total = header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__")
            .Sum(p => p.Value.GetProperty("data_offsets")[1].GetInt64() - p.Value.GetProperty("data_offsets")[0].GetInt64());
        (8 + n + total).Should().Be(bytes.Length);

        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder.Path, "config.json")))!;
        config["model_type"]!.GetValue<string>().Should().Be("bert");
        config["hidden_size"]!.GetValue<int>().Should().Be(8);
        config["layer_norm_eps"]!.GetValue<double>().Should().Be(1e-12);
    }
}
