using Bert.Core.Checkpoints;
using Bert.Core.Modeling;
using Bert.Tests;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Modeling;

public class BertModelBuilderTests
{
    [SharedFact(ModelTestData.KerasFixture)]
    public void Max_sequence_length_slices_the_checkpoint_position_table()
    {
        var builder = BertModelBuilder.FromConfigFile(ModelTestData.KerasConfig)
            .WithMaxSequenceLength(10)
            .WithCheckpoint(ModelTestData.KerasPrefix);
        using var model = builder.Build();
        model.Config.MaxPositionEmbeddings.Should().Be(10);
        var table = model.state_dict()["embeddings.position_embeddings.weight"];
        table.shape.Should().Equal(10, 4);

        using var reader = TensorFlowCheckpointReader.Open(ModelTestData.KerasPrefix);
        var full = reader.ReadFloats("bert/embeddings/position_embeddings"); // (16, 4) row-major
        table.data<float>().ToArray().Should().Equal(full.Take(40));
        builder.LastLoadReport!.Loaded.Should().ContainSingle(r => r.Note == "first 10 of 16 positions");
        builder.LastLoadReport.ToString().Should().Contain("adapted    embeddings.position_embeddings.weight [16, 4] (first 10 of 16 positions)");

        using var ids = ones(1, 11, ScalarType.Int64);
        var act = () => model.forward(ids, zeros_like(ids), ones_like(ids));
        act.Should().Throw<ArgumentException>().WithMessage("*11 exceeds the model's 10 positions*");
    }

    [SharedFact(ModelTestData.KerasFixture)]
    public void Without_position_slicing_a_shorter_model_is_a_shape_mismatch_naming_file_and_tensor()
    {
        var builder = BertModelBuilder.FromConfigFile(ModelTestData.KerasConfig)
            .WithMaxSequenceLength(10)
            .WithCheckpoint(ModelTestData.KerasPrefix, new CheckpointLoadOptions { AllowPositionSlicing = false });
        var act = () => builder.Build();
        act.Should().Throw<InvalidDataException>()
            .WithMessage("*bert_model.ckpt*bert/embeddings/position_embeddings*[16, 4]*embeddings.position_embeddings.weight*[10, 4]*");
    }

    [SharedFact(ModelTestData.KerasFixture)]
    public void FromPretrained_finds_bert_config_json_beside_a_TF_prefix_and_config_json_in_an_HF_folder()
    {
        var tf = BertModelBuilder.FromPretrained(ModelTestData.KerasPrefix);
        using (var model = tf.Build())
        {
            model.Config.HiddenSize.Should().Be(4);
            tf.LastLoadReport!.Format.Should().Be("TensorFlow");
        }
        var hf = BertModelBuilder.FromPretrained(ModelTestData.Variant("relu"));
        using (var model = hf.Build())
        {
            model.Config.HiddenAct.Should().Be("relu");
            model.Config.LayerNormEps.Should().Be(1e-5);
            hf.LastLoadReport!.Loaded.Should().HaveCount(39);
        }
        using var empty = new Bert.Core.Tests.Checkpoints.TempFolder();
        var act = () => BertModelBuilder.FromPretrained(empty.Path);
        act.Should().Throw<FileNotFoundException>().WithMessage("*config.json or bert_config.json*");
    }

    [SharedFact(ModelTestData.KerasFixture)]
    public void A_TensorFlow_training_folder_loads_the_checkpoint_its_checkpoint_file_names()
    {
        using var folder = new Bert.Core.Tests.Checkpoints.TempFolder();
        File.Copy(ModelTestData.KerasConfig, Path.Combine(folder.Path, "bert_config.json"));
        foreach (var suffix in new[] { ".index", ".data-00000-of-00001" })
            File.Copy(ModelTestData.KerasPrefix + suffix, Path.Combine(folder.Path, "model.ckpt-2000" + suffix));
        // An older, broken checkpoint beside it: loading it would fail.
        File.WriteAllBytes(Path.Combine(folder.Path, "model.ckpt-1000.index"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(folder.Path, "model.ckpt-1000.data-00000-of-00001"), [1, 2, 3]);

        File.WriteAllText(Path.Combine(folder.Path, "checkpoint"), "model_checkpoint_path: \"model.ckpt-2000\"\nall_model_checkpoint_paths: \"model.ckpt-1000\"\nall_model_checkpoint_paths: \"model.ckpt-2000\"\n");
        var builder = BertModelBuilder.FromPretrained(folder.Path);
        using (var model = builder.Build())
            builder.LastLoadReport!.Format.Should().Be("TensorFlow"); // loaded, so not the broken model.ckpt-1000

        File.WriteAllText(Path.Combine(folder.Path, "checkpoint"), "model_checkpoint_path: \"model.ckpt-1000\"\n");
        var older = () => BertModelBuilder.FromPretrained(folder.Path).Build();
        older.Should().Throw<InvalidDataException>().WithMessage("*model.ckpt-1000*");

        File.Delete(Path.Combine(folder.Path, "checkpoint"));
        var ambiguous = () => BertModelBuilder.FromPretrained(folder.Path).Build();
        ambiguous.Should().Throw<FileNotFoundException>().WithMessage("*holds 2 checkpoints*give the prefix*");
    }

    [Fact]
    public void Max_sequence_length_outside_the_table_is_rejected()
    {
        var builder = new BertModelBuilder(ModelTestData.TinyConfig());
        ((Action)(() => builder.WithMaxSequenceLength(13))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[1, 12]*");
        ((Action)(() => builder.WithMaxSequenceLength(0))).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Trainable_prefixes_freeze_everything_else()
    {
        using var model = new BertModelBuilder(ModelTestData.TinyConfig())
            .WithTrainablePrefixes("encoder.layer.1.", "pooler.")
            .Build();
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        trainable.Should().HaveCount(16 + 2);
        trainable.Should().OnlyContain(n => n.StartsWith("encoder.layer.1.") || n.StartsWith("pooler."));

        using var frozen = new BertModelBuilder(ModelTestData.TinyConfig()).WithTrainable(false).Build();
        frozen.parameters().Should().OnlyContain(p => !p.requires_grad);
        using var all = new BertModelBuilder(ModelTestData.TinyConfig()).Build();
        all.parameters().Should().OnlyContain(p => p.requires_grad);
    }

    [Fact]
    public void A_trainable_prefix_that_matches_nothing_is_an_error()
    {
        var act = () => new BertModelBuilder(ModelTestData.TinyConfig()).WithTrainablePrefixes("encoder.layers.1.").Build();
        act.Should().Throw<ArgumentException>().WithMessage("*'encoder.layers.1.' matches no parameter*");
    }

    [Fact]
    public void Seed_makes_initialisation_reproducible_and_Build_returns_eval_mode()
    {
        using var a = new BertModelBuilder(ModelTestData.TinyConfig()).WithSeed(3).Build();
        using var b = new BertModelBuilder(ModelTestData.TinyConfig()).WithSeed(3).Build();
        using var c = new BertModelBuilder(ModelTestData.TinyConfig()).WithSeed(4).Build();
        var wa = a.state_dict()["encoder.layer.0.attention.self.key.weight"].data<float>().ToArray();
        wa.Should().Equal(b.state_dict()["encoder.layer.0.attention.self.key.weight"].data<float>().ToArray());
        wa.Should().NotEqual(c.state_dict()["encoder.layer.0.attention.self.key.weight"].data<float>().ToArray());
        a.training.Should().BeFalse();
    }

    [Fact]
    public void A_seeded_build_leaves_the_global_generator_where_it_was()
    {
        // libtorch's default initialisation of the embeddings and the pooler drew from the global generator before the
        // private one overwrote them, so every later global draw (a head with Seed null, dropout) moved.
        manual_seed(7);
        var expected = rand(4).data<float>().ToArray();
        manual_seed(7);
        using (new BertModelBuilder(ModelTestData.TinyConfig()).WithSeed(1).Build()) { }
        rand(4).data<float>().ToArray().Should().Equal(expected);
    }

    [Fact]
    public void Float64_model_agrees_with_float32_model()
    {
        var config = ModelTestData.TinyConfig();
        using var f32 = new BertModelBuilder(config).WithSeed(11).Build();
        using var f64 = new BertModelBuilder(config).WithSeed(11).WithDType(ScalarType.Float64).Build();
        f64.parameters().Should().OnlyContain(p => p.dtype == ScalarType.Float64);
        var (ids, types, mask) = ModelTestData.RandomBatch(config, 2, 8, 9);
        using (ids) using (types) using (mask) using (no_grad())
        {
            using var a = f32.forward(ids, types, mask);
            using var b = f64.forward(ids, types, mask);
            b.SequenceOutput.dtype.Should().Be(ScalarType.Float64);
            using var diff = (a.SequenceOutput.to(ScalarType.Float64) - b.SequenceOutput).abs().max();
            diff.item<double>().Should().BeLessThan(1e-5);
        }
        var act = () => new BertModelBuilder(config).WithDType(ScalarType.Int64);
        act.Should().Throw<ArgumentException>();
    }
}
