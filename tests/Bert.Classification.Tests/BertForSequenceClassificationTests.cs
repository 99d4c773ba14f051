using Bert.Core.Modeling;
using Bert.Tests;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Classification.Tests;

public class BertForSequenceClassificationTests
{
    private static (Tensor Ids, Tensor Types, Tensor Mask) Batch()
    {
        // Two rows; the second is padded after 3 tokens (pad id 3, as in wiki-ja).
        var ids = tensor(new long[] { 4, 10, 11, 12, 5, 4, 20, 5, 3, 3 }, new long[] { 2, 5 });
        var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, new long[] { 2, 5 });
        return (ids, zeros_like(ids), mask);
    }

    [Fact]
    public void Parameter_names_follow_hugging_face()
    {
        using var model = ToyData.Model(100, seed: 1);
        var names = model.state_dict().Keys.ToArray();
        names.Should().Contain(new[] { "bert.embeddings.word_embeddings.weight", "bert.encoder.layer.1.output.LayerNorm.bias", "bert.pooler.dense.weight", "classifier.weight", "classifier.bias" });
        names.Where(n => !n.StartsWith("bert.", StringComparison.Ordinal)).Should().BeEquivalentTo("classifier.weight", "classifier.bias");
        model.state_dict()["classifier.weight"].shape.Should().Equal(2, 32);
    }

    [Theory]
    [InlineData(PoolingStrategy.Pooler)]
    [InlineData(PoolingStrategy.Cls)]
    [InlineData(PoolingStrategy.MaskedMean)]
    [InlineData(PoolingStrategy.MaskedMax)]
    [InlineData(PoolingStrategy.ConcatLastLayers)]
    public void Logits_are_the_linear_layer_applied_to_the_pooled_vector(PoolingStrategy pooling)
    {
        using var model = ToyData.Model(100, seed: 2, new ClassificationHeadOptions { Pooling = pooling, ConcatLayers = 2 });
        model.eval();
        var (ids, types, mask) = Batch();
        using var noGrad = no_grad();
        var logits = model.forward(ids, types, mask);

        // Independent computation of the pooled vector, row by row, over the real tokens only.
        var output = model.Bert.forward(ids, types, mask, true);
        var w = model.state_dict()["classifier.weight"];
        var b = model.state_dict()["classifier.bias"];
        for (int row = 0; row < 2; row++)
        {
            int real = row == 0 ? 5 : 3;
            var tokens = output.SequenceOutput[row].slice(0, 0, real, 1); // (real, H)
            Tensor pooled = pooling switch
            {
                PoolingStrategy.Pooler => output.PooledOutput[row],
                PoolingStrategy.Cls => tokens[0],
                PoolingStrategy.MaskedMean => tokens.mean(new long[] { 0 }),
                PoolingStrategy.MaskedMax => tokens.max(0).values,
                _ => cat(new[] { output.HiddenStates![^2][row][0], output.HiddenStates![^1][row][0] }, 0),
            };
            var expected = matmul(w, pooled) + b;
            logits[row].allclose(expected, rtol: 1e-5, atol: 1e-6).Should().BeTrue($"row {row} with {pooling}");
        }
    }

    [Fact]
    public void Padding_does_not_change_the_logits_of_a_text()
    {
        using var model = ToyData.Model(100, seed: 3, new ClassificationHeadOptions { Pooling = PoolingStrategy.MaskedMean });
        model.eval();
        using var noGrad = no_grad();
        var alone = model.forward(tensor(new long[] { 4, 20, 5 }, new long[] { 1, 3 }), zeros(1, 3, ScalarType.Int64), ones(1, 3, ScalarType.Int64));
        var (ids, types, mask) = Batch();
        var padded = model.forward(ids, types, mask);
        padded[1].allclose(alone[0], rtol: 1e-5, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void The_head_is_seeded_by_its_options_and_leaves_the_global_generator_alone()
    {
        using var bert = new BertModelBuilder(ToyData.TinyConfig(100)).WithSeed(1).Build();
        float[] Head(ClassificationHeadOptions? options)
        {
            using var model = new BertForSequenceClassification(bert, 3, options);
            model.state_dict()["classifier.bias"].data<float>().ToArray().Should().AllBeEquivalentTo(0f);
            return model.state_dict()["classifier.weight"].data<float>().ToArray();
        }

        // Default (Seed 42): the same head whatever the global generator did before (the README's path calls no manual_seed).
        TorchSharp.torch.manual_seed(1);
        var first = Head(null);
        TorchSharp.torch.manual_seed(2);
        Head(null).Should().Equal(first);
        Head(new ClassificationHeadOptions { Seed = 43 }).Should().NotEqual(first);
        double std = Math.Sqrt(first.Select(v => (double)v * v).Average());
        std.Should().BeApproximately(0.02, 0.004, "normal(0, initializer_range) over 3 x 32 weights");

        // The global generator is not advanced by a seeded head; with Seed null it decides, as torch.manual_seed does.
        TorchSharp.torch.manual_seed(5);
        var expected = TorchSharp.torch.randn(4).data<float>().ToArray();
        TorchSharp.torch.manual_seed(5);
        Head(null);
        TorchSharp.torch.randn(4).data<float>().ToArray().Should().Equal(expected);
        TorchSharp.torch.manual_seed(5);
        var fromGlobal = Head(new ClassificationHeadOptions { Seed = null });
        TorchSharp.torch.manual_seed(5);
        Head(new ClassificationHeadOptions { Seed = null }).Should().Equal(fromGlobal).And.NotEqual(first);
    }

    [Fact]
    public void Bad_head_options_are_rejected_with_the_property_name()
    {
        TorchSharp.torch.manual_seed(0);
        var bert = new BertModelBuilder(ToyData.TinyConfig(100)).Build();
        var act = () => new BertForSequenceClassification(bert, 2, new ClassificationHeadOptions { Pooling = PoolingStrategy.ConcatLastLayers, ConcatLayers = 5 });
        act.Should().Throw<ArgumentException>().WithMessage("*ConcatLayers*");
        var none = () => new BertForSequenceClassification(bert, 0);
        none.Should().Throw<ArgumentOutOfRangeException>();
    }
}

public class BertForSequenceClassificationLossTests
{
    [Fact]
    public void Multi_label_loss_is_binary_cross_entropy_over_sigmoids()
    {
        TorchSharp.torch.manual_seed(0);
        var bert = new BertModelBuilder(ToyData.TinyConfig(100)).Build();
        using var model = new BertForSequenceClassification(bert, 3, new ClassificationHeadOptions { ProblemType = ProblemType.MultiLabel });
        var logits = tensor(new float[] { 0.5f, -1f, 2f, 0f, 1f, -0.5f }, new long[] { 2, 3 });
        var targets = tensor(new float[] { 1, 0, 1, 0, 1, 1 }, new long[] { 2, 3 });
        double expected = 0;
        float[] z = { 0.5f, -1f, 2f, 0f, 1f, -0.5f }, y = { 1, 0, 1, 0, 1, 1 };
        for (int i = 0; i < 6; i++)
        {
            double p = 1 / (1 + Math.Exp(-z[i]));
            expected -= y[i] * Math.Log(p) + (1 - y[i]) * Math.Log(1 - p);
        }
        model.Loss(logits, targets).item<float>().Should().BeApproximately((float)(expected / 6), 1e-6f);
        model.Probabilities(logits)[0, 2].item<float>().Should().BeApproximately((float)(1 / (1 + Math.Exp(-2))), 1e-6f);
    }

    [Fact]
    public void Regression_has_one_output_and_mean_squared_error()
    {
        TorchSharp.torch.manual_seed(0);
        var bert = new BertModelBuilder(ToyData.TinyConfig(100)).Build();
        var options = new ClassificationHeadOptions { ProblemType = ProblemType.Regression };
        ((Action)(() => new BertForSequenceClassification(bert, 2, options))).Should().Throw<ArgumentOutOfRangeException>();
        using var model = new BertForSequenceClassification(bert, 1, options);
        var logits = tensor(new float[] { 0.5f, 2f, -1f }, new long[] { 3, 1 });
        var targets = tensor(new float[] { 1f, 1f, 1f });
        model.Loss(logits, targets).item<float>().Should().BeApproximately((0.25f + 1f + 4f) / 3, 1e-6f);
    }

    [Fact]
    public void Class_weights_weigh_the_cross_entropy()
    {
        TorchSharp.torch.manual_seed(0);
        var bert = new BertModelBuilder(ToyData.TinyConfig(100)).Build();
        using var model = new BertForSequenceClassification(bert, 2);
        var logits = tensor(new float[] { 1f, 0f, 0f, 2f }, new long[] { 2, 2 });
        var targets = tensor(new long[] { 0, 0 });
        var weights = tensor(new float[] { 3f, 1f });
        double l0 = Math.Log(1 + Math.Exp(-1)), l1 = Math.Log(1 + Math.Exp(2));
        // PyTorch's weighted mean: sum(w_y * l) / sum(w_y); both targets are class 0 (weight 3), so it is the plain mean.
        model.Loss(logits, targets, weights).item<float>().Should().BeApproximately((float)((l0 + l1) / 2), 1e-5f);
        var mixed = tensor(new long[] { 0, 1 });
        double m1 = Math.Log(1 + Math.Exp(-2));
        model.Loss(logits, mixed, weights).item<float>().Should().BeApproximately((float)((3 * l0 + 1 * m1) / 4), 1e-5f);
    }
}
