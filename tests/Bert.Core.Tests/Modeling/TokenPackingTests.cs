using Bert.Core.Modeling;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Modeling;

/// <summary>
/// <see cref="BertModel.PackTokens"/>: the per-token work on the real tokens only must give the unpacked model's
/// numbers at every real position, forward and backward, and zeros at padding.
/// </summary>
public class TokenPackingTests(ITestOutputHelper output)
{
    private static BertConfig Config()
    {
        var config = ModelTestData.TinyConfig();
        config.NumHiddenLayers = 3;
        config.HiddenDropoutProb = 0;
        config.AttentionProbsDropoutProb = 0;
        return config;
    }

    /// <summary>Rows of different lengths, one without any real token, one without padding; 15 of 32 positions padding.</summary>
    private static (Tensor Ids, Tensor Types, Tensor Mask) Batch(BertConfig config)
    {
        var g = new Generator(7, CPU);
        var ids = randint(0, config.VocabSize, [4, 8], generator: g, dtype: ScalarType.Int64);
        var types = randint(0, config.TypeVocabSize, [4, 8], generator: g, dtype: ScalarType.Int64);
        var mask = tensor(new long[,] { { 1, 1, 1, 0, 0, 0, 0, 0 }, { 1, 1, 1, 1, 1, 1, 1, 1 }, { 1, 1, 1, 1, 1, 1, 0, 0 }, { 0, 0, 0, 0, 0, 0, 0, 0 } });
        g.Dispose();
        return (ids, types, mask);
    }

    [Theory]
    [InlineData(new long[] { 1, 1, 1, 1, 1, 0, 0, 0 })]    // one text padded at the end: run on its 5 positions alone
    [InlineData(new long[] { 1, 1, 0, 1, 1, 0, 0, 0 })]    // padding inside: packed
    [InlineData(new long[] { 1, 1, 1, 1, 1, 1, 1, 1 })]    // no padding
    public void One_sequence_gives_the_unpacked_numbers_at_real_positions_and_zeros_at_padding(long[] maskRow)
    {
        var config = Config();
        using var model = new BertModel(config);
        model.eval();
        var g = new Generator(9, CPU);
        using var ids = randint(0, config.VocabSize, [1, 8], generator: g, dtype: ScalarType.Int64);
        using var types = randint(0, config.TypeVocabSize, [1, 8], generator: g, dtype: ScalarType.Int64);
        using var mask = tensor(maskRow).unsqueeze(0);
        g.Dispose();
        using var noGrad = no_grad();
        model.PackTokens = false;
        using var plain = model.forward(ids, types, mask);
        model.PackTokens = true;
        using var packed = model.forward(ids, types, mask);
        using var real = mask.unsqueeze(-1).to(ScalarType.Float32);
        packed.SequenceOutput.shape.Should().Equal(1, 8, config.HiddenSize);
        ((plain.SequenceOutput - packed.SequenceOutput) * real).abs().max().item<float>().Should().BeLessThan(1e-5f);
        (packed.SequenceOutput * (1 - real)).abs().max().item<float>().Should().Be(0);
        (plain.PooledOutput - packed.PooledOutput).abs().max().item<float>().Should().BeLessThan(1e-5f);
    }

    [Fact]
    public void Packed_forward_equals_the_unpacked_one_at_real_positions_and_is_zero_at_padding()
    {
        var config = Config();
        using var model = new BertModel(config);
        model.eval();
        var (ids, types, mask) = Batch(config);
        using var noGrad = no_grad();
        using (ids) using (types) using (mask)
        {
            model.PackTokens = false;
            using var plain = model.forward(ids, types, mask, outputHiddenStates: true);
            model.PackTokens = true;
            using var packed = model.forward(ids, types, mask, outputHiddenStates: true);
            using var real = mask.unsqueeze(-1).to(ScalarType.Float32);          // (B, T, 1)
            packed.HiddenStates!.Count.Should().Be(plain.HiddenStates!.Count);
            for (int i = 1; i < plain.HiddenStates.Count; i++)
            {
                double error = ((plain.HiddenStates[i] - packed.HiddenStates[i]) * real).abs().max().item<float>();
                double atPadding = (packed.HiddenStates[i] * (1 - real)).abs().max().item<float>();
                output.WriteLine($"layer {i}: max |diff| at real positions {error:E2}, max |value| at padding {atPadding}");
                error.Should().BeLessThan(1e-5);
                atPadding.Should().Be(0);
            }
            ReferenceEquals(packed.SequenceOutput, packed.HiddenStates[^1]).Should().BeTrue();
            // Row 3 has no real token: its pooled output is not defined; the others must agree.
            double pooled = (plain.PooledOutput.narrow(0, 0, 3) - packed.PooledOutput.narrow(0, 0, 3)).abs().max().item<float>();
            pooled.Should().BeLessThan(1e-5);
            packed.PooledOutput.isfinite().all().item<bool>().Should().BeTrue();

            using var sequenceOnly = model.forward(ids, types, mask);
            sequenceOnly.SequenceOutput.allclose(packed.SequenceOutput, 0, 0).Should().BeTrue("with and without hidden states, the same numbers");
        }
    }

    [Fact]
    public void Packed_training_step_gives_the_unpacked_gradients()
    {
        var config = Config();
        using var model = new BertModel(config);
        model.train();
        var (ids, types, mask) = Batch(config);
        using (ids) using (types) using (mask)
        {
            // Row 3 (no real token) is left out of the loss: its pooled output is not defined.
            using var weights = randn(new long[] { 4, 8, config.HiddenSize }, generator: new Generator(3, CPU));
            Dictionary<string, Tensor> Gradients(bool pack)
            {
                model.PackTokens = pack;
                model.zero_grad();
                using var scope = NewDisposeScope();
                var result = model.forward(ids, types, mask);
                var real = mask.unsqueeze(-1).to(ScalarType.Float32);
                var loss = (result.SequenceOutput * weights * real).sum() + result.PooledOutput.narrow(0, 0, 3).square().sum();
                loss.backward();
                return model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone().MoveToOuterDisposeScope());
            }
            var plain = Gradients(false);
            var packed = Gradients(true);
            double worst = 0;
            foreach (var (name, g) in plain)
            {
                double scale = Math.Max(g.abs().max().item<float>(), 1e-3);
                double error = (g - packed[name]).abs().max().item<float>() / scale;
                worst = Math.Max(worst, error);
                error.Should().BeLessThan(1e-4, $"the gradient of {name}");
            }
            output.WriteLine($"{plain.Count} gradients, worst relative error {worst:E2}");
            foreach (var g in plain.Values.Concat(packed.Values)) g.Dispose();
        }
    }

    [Fact]
    public void A_batch_without_enough_padding_is_not_packed_and_gives_bit_identical_outputs()
    {
        var config = Config();
        using var model = new BertModel(config);
        model.eval();
        using var noGrad = no_grad();
        var (ids, types, _) = Batch(config);
        using var mask = ones(4, 8, ScalarType.Int64);
        mask[0, 7] = tensor(0L);                                   // 1 of 32 positions: below the 5% threshold
        model.Invoking(m => m.PackingMinPaddedFraction = 1.5).Should().Throw<ArgumentOutOfRangeException>();
        using (ids) using (types)
        {
            model.PackTokens = false;
            using var plain = model.forward(ids, types, mask);
            model.PackTokens = true;
            using var packed = model.forward(ids, types, mask);
            (packed.SequenceOutput - plain.SequenceOutput).abs().max().item<float>().Should().Be(0f);
        }
    }
}
