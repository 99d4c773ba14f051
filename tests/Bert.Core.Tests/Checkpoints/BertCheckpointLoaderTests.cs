using Bert.Core.Checkpoints;
using Bert.Core.Modeling;
using Bert.Core.Tests.Modeling;
using Bert.Tests;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Checkpoints;

public class BertCheckpointLoaderTests
{
    private static string Folder(string variant) => ModelTestData.Variant(variant);

    [Theory]
    [InlineData("model.safetensors")]
    [InlineData("pytorch_model.bin")]
    public void A_git_lfs_pointer_in_place_of_the_weights_is_named_with_what_to_do(string weights)
    {
        using var folder = new TempFolder();
        File.Copy(Path.Combine(Folder("relu"), "config.json"), Path.Combine(folder.Path, "config.json"));
        File.WriteAllText(Path.Combine(folder.Path, weights),
            "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 440473133\n");
        var act = () => BertModelBuilder.FromPretrained(folder.Path).Build();
        act.Should().Throw<InvalidDataException>().WithMessage($"*{weights}' is a Git LFS pointer*git lfs pull*");
    }

    [SharedFact(ModelTestData.KerasFixture)]
    public void ReadStateDict_of_a_TF_checkpoint_gives_HF_names_transposed_kernels_and_the_cls_heads()
    {
        var state = BertCheckpointLoader.ReadStateDict(ModelTestData.KerasPrefix);
        try
        {
            state.Should().HaveCount(46, "39 BertModel weights and 7 pre-training head tensors; no optimizer slots");
            state.Keys.Should().Contain(["cls.predictions.bias", "cls.seq_relationship.weight", "encoder.layer.1.output.LayerNorm.weight"]);
            state.Keys.Should().NotContain(k => k.Contains("adam") || k.Contains("global_step"));

            using var reader = TensorFlowCheckpointReader.Open(ModelTestData.KerasPrefix);
            var kernel = reader.ReadFloats("bert/encoder/layer_0/intermediate/dense/kernel"); // (H=4, I=16) row-major
            var weight = state["encoder.layer.0.intermediate.dense.weight"];
            weight.shape.Should().Equal(16, 4);
            var w = weight.data<float>().ToArray();
            for (int o = 0; o < 16; o++)
                for (int i = 0; i < 4; i++)
                    w[o * 4 + i].Should().Be(kernel[i * 16 + o]);
            state["cls.seq_relationship.weight"].shape.Should().Equal(2, 4);
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    [Fact]
    public void ReadStateDict_strips_the_bert_prefix_of_a_pretraining_safetensors_file()
    {
        var state = BertCheckpointLoader.ReadStateDict(Path.Combine(Folder("relu"), "model.safetensors"));
        state.Keys.Should().Contain("embeddings.word_embeddings.weight").And.Contain("cls.seq_relationship.weight");
        state.Keys.Should().NotContain(k => k.StartsWith("bert."));
        foreach (var t in state.Values) t.Dispose();
    }

    [Fact]
    public void Strict_load_lists_missing_and_unexpected_tensors_and_leaves_the_model_unchanged()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "partial.safetensors");
        var state = BertCheckpointLoader.ReadStateDict(Folder("gelu"));
        state.Remove("pooler.dense.bias", out var removed);
        removed!.Dispose();
        state["extra.thing"] = zeros(3, 2);
        SafeTensors.Write(path, state);
        foreach (var t in state.Values) t.Dispose();

        using var model = new BertModel(BertConfig.FromJsonFile(Path.Combine(Folder("gelu"), "config.json")));
        var before = model.state_dict()["embeddings.word_embeddings.weight"].data<float>().ToArray();
        var act = () => BertCheckpointLoader.Load(model, path);
        act.Should().Throw<InvalidDataException>()
            .WithMessage("*partial.safetensors*1 model weights missing, 1 checkpoint tensors unexpected*Missing: pooler.dense.bias [8]*Unexpected: extra.thing [3, 2]*");
        model.state_dict()["embeddings.word_embeddings.weight"].data<float>().ToArray().Should().Equal(before);

        var report = BertCheckpointLoader.Load(model, path, new CheckpointLoadOptions { Strict = false });
        report.Loaded.Should().HaveCount(38);
        report.Missing.Should().ContainSingle().Which.Should().Be(report.Missing[0]);
        report.Missing[0].Name.Should().Be("pooler.dense.bias");
        report.Missing[0].Shape.Should().Equal(8);
        report.Unexpected.Single().Name.Should().Be("extra.thing");
        report.IsComplete.Should().BeFalse();
        report.ToString().Should().Contain("loaded 38, missing 1, unexpected 1, skipped 0").And.Contain("missing    pooler.dense.bias [8]");
        model.state_dict()["embeddings.word_embeddings.weight"].data<float>().ToArray().Should().NotEqual(before);

        var allowed = BertCheckpointLoader.Load(model, path,
            new CheckpointLoadOptions { AllowedMissingPrefixes = ["pooler."], SkipPretrainingHeads = true, Strict = false });
        allowed.Missing.Single().Note.Should().Be("allowed");
    }

    [Fact]
    public void Sharded_folder_with_old_gamma_beta_names_loads_the_same_weights()
    {
        using var folder = new TempFolder();
        var state = BertCheckpointLoader.ReadStateDict(Folder("gelu"));
        var names = state.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        string OldName(string n) => n.Replace("LayerNorm.weight", "LayerNorm.gamma").Replace("LayerNorm.bias", "LayerNorm.beta");
        var first = names.Take(20).ToList();
        var second = names.Skip(20).ToList();
        SafeTensors.Write(Path.Combine(folder.Path, "model-00001-of-00002.safetensors"), first.Select(n => KeyValuePair.Create(OldName(n), state[n])));
        SafeTensors.Write(Path.Combine(folder.Path, "model-00002-of-00002.safetensors"), second.Select(n => KeyValuePair.Create("bert." + n, state[n])));
        var map = new System.Text.Json.Nodes.JsonObject();
        foreach (var n in first) map[OldName(n)] = "model-00001-of-00002.safetensors";
        foreach (var n in second) map["bert." + n] = "model-00002-of-00002.safetensors";
        File.WriteAllText(Path.Combine(folder.Path, "model.safetensors.index.json"),
            new System.Text.Json.Nodes.JsonObject { ["metadata"] = new System.Text.Json.Nodes.JsonObject(), ["weight_map"] = map }.ToJsonString());

        using var model = new BertModel(BertConfig.FromJsonFile(Path.Combine(Folder("gelu"), "config.json")));
        var report = BertCheckpointLoader.Load(model, folder.Path);
        report.Format.Should().Be("Hugging Face folder (sharded)");
        report.Loaded.Should().HaveCount(39);
        foreach (var (name, value) in model.state_dict())
            value.data<float>().ToArray().Should().Equal(state[name].data<float>().ToArray(), name);
        foreach (var t in state.Values) t.Dispose();
    }

    [Fact]
    public void Pretraining_heads_are_unexpected_when_not_skipped()
    {
        using var model = new BertModel(BertConfig.FromJsonFile(Path.Combine(Folder("relu"), "config.json")));
        var report = BertCheckpointLoader.Load(model, Folder("relu"), new CheckpointLoadOptions { SkipPretrainingHeads = false, Strict = false });
        report.Unexpected.Select(u => u.Name).Should().BeEquivalentTo(["cls.seq_relationship.weight", "cls.seq_relationship.bias"]);
        report.Unexpected.Single(u => u.Name == "cls.seq_relationship.weight").Shape.Should().Equal(2, 8);
        report.Skipped.Should().BeEmpty();
    }

    [Fact]
    public void Shape_mismatch_names_the_file_and_the_tensor()
    {
        var config = BertConfig.FromJsonFile(Path.Combine(Folder("gelu"), "config.json"));
        config.IntermediateSize = 16;
        using var model = new BertModel(config);
        var act = () => BertCheckpointLoader.Load(model, Folder("gelu"));
        act.Should().Throw<InvalidDataException>()
            .WithMessage("*tiny-gelu*'encoder.layer.*.intermediate.dense.*'*model.safetensors*[12*model weight*[16*");
    }

    [Fact]
    public void Loads_into_a_module_that_holds_the_model_as_bert()
    {
        using var wrapper = new Wrapper(BertConfig.FromJsonFile(Path.Combine(Folder("relu"), "config.json")));
        var strict = () => BertCheckpointLoader.Load(wrapper, Folder("relu"));
        strict.Should().Throw<InvalidDataException>().WithMessage("*Missing: classifier.weight [3, 8], classifier.bias [3]*");

        var report = BertCheckpointLoader.Load(wrapper, Folder("relu"), new CheckpointLoadOptions { AllowedMissingPrefixes = ["classifier."] });
        report.Loaded.Should().HaveCount(39).And.OnlyContain(r => r.Name.StartsWith("bert."));
        report.Skipped.Select(s => s.Name).Should().BeEquivalentTo(["cls.seq_relationship.weight", "cls.seq_relationship.bias"]);
    }

    [Fact]
    public void Unsupported_or_absent_checkpoints_get_clear_exceptions()
    {
        using var model = new BertModel(ModelTestData.TinyConfig());
        using var folder = new TempFolder();
        ((Action)(() => BertCheckpointLoader.Load(model, Path.Combine(folder.Path, "nothing"))))
            .Should().Throw<FileNotFoundException>().WithMessage("*No checkpoint at*nothing*");
        ((Action)(() => BertCheckpointLoader.Load(model, folder.Path)))
            .Should().Throw<FileNotFoundException>().WithMessage("*holds no model.safetensors*");
        File.WriteAllBytes(Path.Combine(folder.Path, "pytorch_model.bin"), [0x80, 0x02, 0x7d]);
        ((Action)(() => BertCheckpointLoader.Load(model, Path.Combine(folder.Path, "pytorch_model.bin"))))
            .Should().Throw<InvalidDataException>().WithMessage("*pytorch_model.bin*not a readable PyTorch state dict*");
    }

    [Fact]
    public void Options_validate_themselves()
    {
        var act = () => new CheckpointLoadOptions { AllowedMissingPrefixes = [""] }.Validate();
        act.Should().Throw<ArgumentException>().WithParameterName("AllowedMissingPrefixes");
    }

    private sealed class Wrapper : nn.Module
    {
        private readonly BertModel bert;
        private readonly Linear classifier;

        public Wrapper(BertConfig config) : base(nameof(Wrapper))
        {
            bert = new BertModel(config);
            classifier = nn.Linear(config.HiddenSize, 3);
            RegisterComponents();
        }
    }
}
