using Bert.Core.Modeling;
using Bert.Core.Optimization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Optimization;

/// <summary>
/// <see cref="BertEmbeddings.SparseWordGradients"/> with <see cref="AdamWarmup"/>: the word embeddings' gradient as the
/// rows of the batch's tokens must train a model to the same bits as libtorch's dense gradient.
/// </summary>
public class SparseWordGradientTests
{
    public SparseWordGradientTests() => TorchRuntime.EnsureAvailable();

    /// <summary>3000 x 96 word embeddings: two optimizer chunks, and rows that straddle the 256-element blocks.</summary>
    private static BertConfig Config() => new()
    {
        VocabSize = 3000, HiddenSize = 96, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 192, MaxPositionEmbeddings = 64,
    };

    [Theory]
    [InlineData(0.0, null)]
    [InlineData(0.01, 0.5)]
    public void Training_with_sparse_word_gradients_gives_the_bits_of_the_dense_gradient(double weightDecay, double? maxGradNorm)
    {
        var options = new AdamWarmupOptions
        {
            LearningRate = 1e-3, WarmupSteps = 2, DecaySteps = 20, WeightDecay = weightDecay,
            WeightDecayExclusions = AdamWarmupOptions.BertNoDecay, MaxGradNorm = maxGradNorm,
        };
        var dense = Train(options, sparse: false, steps: 6, out var denseGradient);
        var sparse = Train(options, sparse: true, steps: 6, out var sparseGradient);
        denseGradient.Should().BeFalse();
        sparseGradient.Should().BeTrue("the flag gives the word embeddings a sparse gradient");
        sparse.Keys.Should().Equal(dense.Keys);
        foreach (var name in dense.Keys)
            sparse[name].Should().Equal(dense[name], $"{name} after 6 steps");
    }

    [Fact]
    public void Two_backward_passes_per_step_sum_the_rows_and_stay_within_rounding_of_the_dense_run()
    {
        var options = new AdamWarmupOptions { LearningRate = 1e-3, WarmupSteps = 2, DecaySteps = 20, MaxGradNorm = 1.0 };
        var dense = Train(options, sparse: false, steps: 4, out _, backwardPasses: 2);
        var sparse = Train(options, sparse: true, steps: 4, out _, backwardPasses: 2);
        foreach (var name in dense.Keys)
        {
            var a = sparse[name].Select(BitConverter.Int32BitsToSingle).ToArray();
            var b = dense[name].Select(BitConverter.Int32BitsToSingle).ToArray();
            for (var k = 0; k < a.Length; k++)
                a[k].Should().BeApproximately(b[k], 1e-6f + 1e-5f * Math.Abs(b[k]), $"{name}[{k}]");
        }
    }

    [Fact]
    public void A_sparse_gradient_that_is_not_whole_rows_is_made_dense()
    {
        // A (4, 3) parameter whose gradient is sparse in both dimensions, with a repeated entry.
        using var indices = tensor(new long[] { 0, 2, 2, 1, 1, 0, 0, 1 }, new long[] { 2, 4 });
        using var values = tensor(new float[] { 0.5f, -1f, 2f, 0.25f });
        using var sparseGrad = sparse_coo_tensor(indices, values, new long[] { 4, 3 });
        using var denseGrad = sparseGrad.to_dense();
        var results = new List<float[]>();
        foreach (var g in new[] { sparseGrad, denseGrad })
        {
            using var p = new Parameter(ones(4, 3));
            using var optimizer = new AdamWarmup([("w", p)], new AdamWarmupOptions { LearningRate = 0.1, DecaySteps = 10 });
            p.grad = g.clone();
            optimizer.Step();
            optimizer.LastSparseRowGradients.Should().Be(0);
            results.Add(p.data<float>().ToArray());
        }
        results[0].Should().Equal(results[1]);
        results[0].Should().Contain(x => x != 1f);
    }

    [Fact]
    public void A_sparse_gradient_naming_a_row_outside_the_parameter_is_refused_before_anything_changes()
    {
        using var indices = tensor(new long[] { 1, 5 }, new long[] { 1, 2 });
        using var values = ones(2, 3);
        using var bias = new Parameter(ones(3));
        using var p = new Parameter(ones(4, 3));
        using var optimizer = new AdamWarmup([("bias", bias), ("w", p)], new AdamWarmupOptions { LearningRate = 0.1, DecaySteps = 10 });
        bias.grad = ones(3);
        p.grad = sparse_coo_tensor(indices, values, new long[] { 4, 3 });
        FluentActions.Invoking(optimizer.Step).Should().Throw<InvalidOperationException>()
            .WithMessage("Parameter #1 'w' has 4 rows, but its sparse gradient names row 5.");
        optimizer.StepCount.Should().Be(0);
        bias.data<float>().ToArray().Should().AllBeEquivalentTo(1f, "the other parameters were not updated either");
        p.data<float>().ToArray().Should().AllBeEquivalentTo(1f);
    }

    private static Dictionary<string, int[]> Train(AdamWarmupOptions options, bool sparse, int steps, out bool sawSparseGradient, int backwardPasses = 1)
    {
        using var scope = NewDisposeScope();
        var config = Config();
        manual_seed(21);
        using var model = new BertModel(config);
        model.Embeddings.SparseWordGradients = sparse;
        model.train();
        using var optimizer = new AdamWarmup(model.named_parameters().Select(p => (p.name, p.parameter)), options);
        var head = randn(config.HiddenSize, 3, generator: new Generator(5));
        sawSparseGradient = false;
        var word = model.named_parameters().Single(p => p.name == "embeddings.word_embeddings.weight").parameter;
        for (var step = 1; step <= steps; step++)
        {
            for (var pass = 0; pass < backwardPasses; pass++)
            {
                using var stepScope = NewDisposeScope();
                var g = new Generator((ulong)(100 * step + pass));
                var ids = randint(0, 40, new long[] { 3, 11 }, generator: g);      // few distinct rows, many repeats
                ids[1, 4] = tensor(2999L);                                          // the last row
                var types = zeros_like(ids);
                var mask = ones_like(ids);
                manual_seed(1000 * step + pass);                                    // the same dropout masks in both runs
                using var output = model.forward(ids, types, mask);
                var loss = output.PooledOutput.matmul(head).square().mean() + output.SequenceOutput.square().mean();
                loss.backward();
            }
            sawSparseGradient |= word.grad is { } wg && wg.is_sparse;
            optimizer.Step();
            optimizer.LastSparseRowGradients.Should().Be(sparse ? 1 : 0, "the word embeddings' rows are used as they are");
            optimizer.ZeroGrad();
        }
        return model.named_parameters().ToDictionary(
            p => p.name, p => p.parameter.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).ToArray());
    }
}
