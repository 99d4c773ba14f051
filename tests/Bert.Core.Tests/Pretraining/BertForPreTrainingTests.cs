using System.Text.Json;
using Bert.Core.Pretraining;
using Bert.Tests;
using TorchSharp;
using static Bert.Core.Tests.Pretraining.PretrainingTestModels;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Pretraining;

public class BertForPreTrainingTests
{
    public BertForPreTrainingTests() => TorchRuntime.EnsureAvailable();

    [Fact]
    public void State_dict_has_hugging_face_names_and_no_decoder_copy()
    {
        var config = TinyConfig();
        using var model = NewModel(config, 1);
        using var bare = new Bert.Core.Modeling.BertModel(config);
        var expected = bare.state_dict().Keys.Select(k => "bert." + k).Concat(
        [
            "cls.predictions.bias",
            "cls.predictions.transform.dense.weight",
            "cls.predictions.transform.dense.bias",
            "cls.predictions.transform.LayerNorm.weight",
            "cls.predictions.transform.LayerNorm.bias",
            "cls.seq_relationship.weight",
            "cls.seq_relationship.bias",
        ]);
        var state = model.state_dict();
        state.Keys.Should().BeEquivalentTo(expected);
        state["cls.predictions.bias"].shape.Should().Equal(40);
        state["cls.predictions.transform.dense.weight"].shape.Should().Equal(32, 32);
        state["cls.seq_relationship.weight"].shape.Should().Equal(2, 32);
        model.parameters().Sum(p => p.numel()).Should().Be(bare.parameters().Sum(p => p.numel()) + 40 + 32 * 32 + 32 + 2 * 32 + 2 * 32 + 2,
            "the decoder adds only its bias: its weight is the word embedding table");
    }

    [Fact]
    public void Masked_lm_logits_are_computed_only_at_the_requested_positions()
    {
        using var model = NewModel(TinyConfig(), 2);
        model.eval();
        using var generator = new DisposableBatch(Generator().NextBatch(3));
        var batch = generator.Batch;
        using var output = model.forward(batch);
        output.PredictionLogits.shape.Should().Equal(batch.MaskedCount, 40);
        output.SeqRelationshipLogits.shape.Should().Equal(3, 2);

        using var all = model.forward(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask);
        all.PredictionLogits.shape.Should().Equal(3, batch.SequenceLength, 40);
        using var flat = all.PredictionLogits.reshape(-1, 40).index_select(0, batch.MaskedPositions);
        Values(output.PredictionLogits).Zip(Values(flat)).Should().OnlyContain(p => Math.Abs(p.First - p.Second) < 1e-5);
    }

    [Fact]
    public void The_decoder_is_the_word_embedding_table_itself()
    {
        using var model = NewModel(TinyConfig(), 3);
        model.eval();
        using var batch = Generator().NextBatch(2);
        using (no_grad())
        {
            model.Cls.Predictions.Bias.copy_(arange(40, ScalarType.Float32) * 0.5);
            model.Bert.Embeddings.WordEmbeddings.weight!.zero_();
        }
        using (var output = model.forward(batch))
        {
            var logits = Values(output.PredictionLogits);
            for (var i = 0; i < logits.Length; i++)
                logits[i].Should().Be((i % 40) * 0.5f, "with a zero embedding table the decoder contributes nothing");
        }

        // A gradient step on the masked-LM loss moves embedding rows of labels through the decoder.
        using (no_grad()) model.Bert.Embeddings.WordEmbeddings.weight!.normal_(0, 0.02);
        model.zero_grad();
        using var loss = model.ComputeLoss(batch);
        loss.Total.backward();
        var grad = model.Bert.Embeddings.WordEmbeddings.weight!.grad!;
        using var rowNorms = grad.norm(1, keepdim: false);
        var inputIds = batch.InputIds.data<long>().ToHashSet();
        var onlyDecoder = Enumerable.Range(5, 35).Where(id => !inputIds.Contains(id)).ToList();
        onlyDecoder.Should().NotBeEmpty();
        foreach (var id in onlyDecoder)
            rowNorms[id].item<float>().Should().BeGreaterThan(0, $"id {id} is not in the input; only the tied decoder can give its row a gradient");
    }

    [SharedFact("fixtures/keras-bert-tiny/bert_model.ckpt.index")]
    public void Heads_loaded_from_the_keras_bert_checkpoint_match_the_pytorch_reference()
    {
        var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "pretraining", "keras-bert-tiny-heads-golden.json"))).RootElement;
        var config = BertConfig.FromJsonFile(SharedData.PathOf("fixtures/keras-bert-tiny/bert_config.json"));
        using var model = NewModel(config, 4);
        var report = BertPreTrainingCheckpoint.Load(model, SharedData.PathOf("fixtures/keras-bert-tiny/bert_model.ckpt"), strict: true);
        report.Missing.Should().BeEmpty();
        report.Loaded.Should().Contain(["cls.predictions.bias", "cls.predictions.transform.dense.weight", "cls.seq_relationship.weight"]);
        report.Skipped.Should().Contain("global_step").And.Contain(s => s.EndsWith("/adam_m"));
        model.eval();

        long[][] Rows(string name) => golden.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        var ids = Rows("input_ids");
        var types = Rows("token_type_ids");
        var masks = Rows("attention_mask");
        int b = ids.Length, t = ids[0].Length;
        var positions = new List<long>();
        for (var i = 0; i < b; i++)
            for (var j = 0; j < t; j++)
                if (masks[i][j] == 1) positions.Add(i * t + j);
        using var inputIds = tensor(ids.SelectMany(r => r).ToArray(), [b, t]);
        using var typeIds = tensor(types.SelectMany(r => r).ToArray(), [b, t]);
        using var mask = tensor(masks.SelectMany(r => r).ToArray(), [b, t]);
        using var pos = tensor(positions.ToArray());
        using var output = model.forward(inputIds, typeIds, mask, pos);

        var expectedMlm = golden.GetProperty("mlm_logits").EnumerateArray().SelectMany(s => s.EnumerateArray()).SelectMany(r => r.EnumerateArray()).Select(v => v.GetDouble()).ToArray();
        var expectedNsp = golden.GetProperty("nsp_logits").EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(v => v.GetDouble()).ToArray();
        var mlm = Values(output.PredictionLogits);
        var nsp = Values(output.SeqRelationshipLogits);
        mlm.Length.Should().Be(expectedMlm.Length);
        mlm.Zip(expectedMlm).Max(p => Math.Abs(p.First - p.Second)).Should().BeLessThan(1e-5);
        nsp.Zip(expectedNsp).Max(p => Math.Abs(p.First - p.Second)).Should().BeLessThan(1e-5);

        // The loss is the mean cross-entropy of the reference logits (labels: the input ids; next-sentence label 0).
        var labels = positions.Select(p => ids[p / t][p % t]).ToArray();
        using var labelTensor = tensor(labels);
        using var nextLabels = zeros(b, ScalarType.Int64);
        using var loss = BertForPreTraining.ComputeLoss(output, labelTensor, nextLabels);
        double CrossEntropy(double[] logits, int offset, int classes, long label)
        {
            var max = logits.Skip(offset).Take(classes).Max();
            var lse = max + Math.Log(logits.Skip(offset).Take(classes).Sum(x => Math.Exp(x - max)));
            return lse - logits[offset + label];
        }
        var expectedMlmLoss = labels.Select((l, k) => CrossEntropy(expectedMlm, k * 15, 15, l)).Average();
        var expectedNspLoss = Enumerable.Range(0, b).Select(k => CrossEntropy(expectedNsp, k * 2, 2, 0)).Average();
        loss.MaskedLm.Should().BeApproximately(expectedMlmLoss, 1e-5);
        loss.NextSentence.Should().BeApproximately(expectedNspLoss, 1e-5);
        loss.Total.item<float>().Should().BeApproximately((float)(expectedMlmLoss + expectedNspLoss), 2e-5f);
        loss.MaskedLmCount.Should().Be(labels.Length);
    }

    [Fact]
    public void Hugging_face_and_tensorflow_saves_load_back_to_identical_outputs()
    {
        var dir = TempDirectory();
        try
        {
            using var model = NewModel(TinyConfig(), 5);
            using (no_grad()) model.Cls.Predictions.Bias.normal_(0, 1);
            model.eval();
            BertPreTrainingCheckpoint.SaveHuggingFace(model, Path.Combine(dir, "hf"));
            var prefix = BertPreTrainingCheckpoint.SaveTensorFlow(model, Path.Combine(dir, "tf"), 7);
            prefix.Should().EndWith("model.ckpt-7");
            File.Exists(prefix + ".index").Should().BeTrue();
            File.Exists(prefix + ".data-00000-of-00001").Should().BeTrue();
            File.Exists(Path.Combine(dir, "tf", "bert_config.json")).Should().BeTrue();
            File.ReadAllText(Path.Combine(dir, "hf", "config.json")).Should().Contain("BertForPreTraining");

            using (var reader = Bert.Core.Checkpoints.TensorFlowCheckpointReader.Open(prefix))
            {
                reader.Contains("cls/predictions/output_bias").Should().BeTrue();
                reader.Contains("cls/seq_relationship/output_weights").Should().BeTrue();
                reader.Contains("cls/predictions/transform/LayerNorm/gamma").Should().BeTrue();
                reader.Contains("global_step").Should().BeTrue();
                reader.GetInfo("cls/seq_relationship/output_weights").Shape.Should().Equal(2, 32);
            }

            using var batch = Generator().NextBatch(4);
            using var expected = model.forward(batch);
            foreach (var path in new[] { Path.Combine(dir, "hf"), prefix })
            {
                using var loaded = NewModel(TinyConfig(), 99);
                var report = BertPreTrainingCheckpoint.Load(loaded, path, strict: true);
                report.Missing.Should().BeEmpty();
                loaded.eval();
                foreach (var (name, value) in model.state_dict())
                    Values(loaded.state_dict()[name]).Should().Equal(Values(value), $"{name} from {path}");
                using var actual = loaded.forward(batch);
                Values(actual.PredictionLogits).Should().Equal(Values(expected.PredictionLogits));
                Values(actual.SeqRelationshipLogits).Should().Equal(Values(expected.SeqRelationshipLogits));

                using var built = BertPreTrainingCheckpoint.LoadModel(path); // config found beside the weights
                built.Config.HiddenSize.Should().Be(32);
                using var again = built.forward(batch);
                Values(again.PredictionLogits).Should().Equal(Values(expected.PredictionLogits));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Hugging_face_tied_aliases_are_accepted()
    {
        using var source = NewModel(TinyConfig(), 6);
        using (no_grad()) source.Cls.Predictions.Bias.normal_(0, 1);
        var tensors = source.state_dict().Where(kv => kv.Key != "cls.predictions.bias")
            .Select(kv => new KeyValuePair<string, Tensor>(kv.Key.StartsWith("bert.", StringComparison.Ordinal) ? kv.Key["bert.".Length..] : kv.Key, kv.Value))
            .Append(new("cls.predictions.decoder.weight", source.Bert.Embeddings.WordEmbeddings.weight!))
            .Append(new("cls.predictions.decoder.bias", source.Cls.Predictions.Bias))
            .ToList();
        using var target = NewModel(TinyConfig(), 7);
        var report = BertPreTrainingCheckpoint.LoadStateDict(target, tensors, "(test)", strict: true);
        report.Missing.Should().BeEmpty();
        report.Skipped.Should().Equal("cls.predictions.decoder.weight");
        Values(target.Cls.Predictions.Bias).Should().Equal(Values(source.Cls.Predictions.Bias));
    }

    [Fact]
    public void A_checkpoint_of_another_size_is_rejected_naming_the_tensor()
    {
        var dir = TempDirectory();
        try
        {
            using var small = NewModel(TinyConfig(), 8);
            BertPreTrainingCheckpoint.SaveHuggingFace(small, dir);
            var other = TinyConfig();
            other.VocabSize = 41;
            using var model = NewModel(other, 9);
            var act = () => BertPreTrainingCheckpoint.Load(model, dir);
            act.Should().Throw<InvalidDataException>().WithMessage("*word_embeddings*");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Masked_positions_outside_the_batch_are_rejected()
    {
        using var model = NewModel(TinyConfig(), 10);
        using var batch = Generator().NextBatch(2);
        using var bad = tensor(new long[] { 0, 2L * batch.SequenceLength });
        var act = () => model.forward(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask, bad);
        act.Should().Throw<ArgumentException>().WithMessage("*outside*");
    }

    private sealed class DisposableBatch(PretrainingBatch batch) : IDisposable
    {
        public PretrainingBatch Batch { get; } = batch;
        public void Dispose() => Batch.Dispose();
    }
}
