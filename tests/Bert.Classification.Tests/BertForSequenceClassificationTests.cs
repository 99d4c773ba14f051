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
