using Bert.Core.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Modeling;

/// <summary>
/// <see cref="PackedAttention"/>: self-attention for inference straight from the (B, T, H) query, key and value
/// products, against float64 softmax(Q Kᵀ / √d + mask) V over head sizes, lengths around its blocks and masks; a
/// sentence alone against the same sentence padded in a batch; and what it leaves to libtorch. Each with the AVX-512
/// kernels where the processor has them and with the AVX2 ones forced.
/// </summary>
public class PackedAttentionTests
{
    [Avx2Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Attention_matches_float64_attention(bool avx2Only)
    {
        using var scope = NewDisposeScope();
        using var kernels = avx2Only ? PackedGemm.Avx2Only() : null;
        // (batch, length, hidden, heads): MiniLM's heads of 32 on 128 tokens; heads of 64 on 23 tokens (a block of 8
        // queries and 7 left, or 3 of 6 and 5 left with AVX2; keys not filling their last panel); heads of 48 (a pair of
        // 16-value panels and one alone) on 5 tokens; heads of 16 (one panel) on 40 tokens; a single token.
        foreach (var (batch, length, hidden, heads) in new[] { (1, 128, 384, 12), (2, 23, 128, 2), (3, 5, 96, 2), (2, 40, 64, 4), (1, 1, 32, 2) })
        {
            var g = new Generator((ulong)(batch * 1000 + length));
            var q = randn(new long[] { batch, length, hidden }, generator: g);
            var k = randn(new long[] { batch, length, hidden }, generator: g);
            var v = randn(new long[] { batch, length, hidden }, generator: g);
            foreach (var mask in new[] { null, PaddingMask(batch, length) })
            {
                PackedAttention.Accepts(q, k, v, mask, heads).Should().BeTrue();
                using var inference = inference_mode();
                var actual = PackedAttention.Run(q, k, v, mask, heads, threads: 2);
                var expected = Float64Attention(q, k, v, mask, heads);
                double error = (actual.to(ScalarType.Float64) - expected).abs().max().item<double>();
                error.Should().BeLessThan(2e-6, $"batch {batch}, length {length}, hidden {hidden}, {heads} heads, mask {mask is not null}, AVX2 only {avx2Only}");
            }
        }
    }

    [Avx2Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Large_scores_do_not_overflow(bool avx2Only)
    {
        // Scores in the hundreds: e^s overflows float32 unless the largest score of the row is taken off first.
        using var scope = NewDisposeScope();
        using var kernels = avx2Only ? PackedGemm.Avx2Only() : null;
        var g = new Generator(11);
        var q = randn(new long[] { 1, 20, 64 }, generator: g) * 40;
        var k = randn(new long[] { 1, 20, 64 }, generator: g);
        var v = randn(new long[] { 1, 20, 64 }, generator: g);
        using var inference = inference_mode();
        var actual = PackedAttention.Run(q, k, v, null, heads: 2, threads: 2);
        (actual.to(ScalarType.Float64) - Float64Attention(q, k, v, null, 2)).abs().max().item<double>().Should().BeLessThan(2e-5);
    }

    [Avx2Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_sentence_gives_the_same_bits_alone_and_padded_in_a_batch(bool avx2Only)
    {
        // Padded keys (float32's minimum in the mask) weigh exactly 0 and every query row is summed on its own, so a
        // sentence's context does not depend on the batch around it (Predict and PredictBatch agree).
        using var scope = NewDisposeScope();
        using var kernels = avx2Only ? PackedGemm.Avx2Only() : null;
        var g = new Generator(7);
        var q = randn(new long[] { 3, 37, 128 }, generator: g);
        var k = randn(new long[] { 3, 37, 128 }, generator: g);
        var v = randn(new long[] { 3, 37, 128 }, generator: g);
        var lengths = new[] { 37, 19, 30 };
        var mask = zeros(3, 1, 1, 37);
        for (int b = 0; b < 3; b++) mask[b, 0, 0].slice(0, lengths[b], 37, 1).fill_(float.MinValue);
        using var inference = inference_mode();
        var batch = PackedAttention.Run(q, k, v, mask, heads: 2, threads: 2);
        for (int b = 0; b < 3; b++)
        {
            Tensor Alone(Tensor t) => t.narrow(0, b, 1).narrow(1, 0, lengths[b]).contiguous();
            var alone = PackedAttention.Run(Alone(q), Alone(k), Alone(v), null, heads: 2, threads: 1);
            alone.eq(batch.narrow(0, b, 1).narrow(1, 0, lengths[b])).all().item<bool>().Should().BeTrue($"sentence {b} of {lengths[b]} tokens");
        }
    }

    [Fact]
    public void What_it_does_not_take_is_left_to_libtorch()
    {
        using var scope = NewDisposeScope();
        var q = randn(2, 8, 64);
        PackedAttention.Accepts(q, q, q, zeros(2, 1, 8, 8), heads: 2).Should().BeFalse("a mask per query");
        PackedAttention.Accepts(q, q, q, zeros(2, 1, 1, 8, ScalarType.Float64), heads: 2).Should().BeFalse("a float64 mask");
        PackedAttention.Accepts(q, q, q, null, heads: 8).Should().BeFalse("heads of 8 values");
        PackedAttention.Accepts(q.transpose(0, 1).contiguous().transpose(0, 1), q, q, null, heads: 2).Should().BeFalse("a strided query");
        PackedAttention.Accepts(q.to(ScalarType.Float64), q, q, null, heads: 2).Should().BeFalse("float64");
        PackedAttention.Accepts(q.requires_grad_(), q, q, null, heads: 2).Should().BeFalse("a gradient to flow");
    }

    private static Tensor PaddingMask(int batch, int length)
    {
        // The last sequence keeps every token; the others lose some at the end (at least one is kept).
        var mask = zeros(batch, 1, 1, length);
        for (int b = 0; b < batch - 1; b++) mask[b, 0, 0].slice(0, Math.Max(1, length - 3 - 5 * b), length, 1).fill_(float.MinValue);
        return mask;
    }

    private static Tensor Float64Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, int heads)
    {
        long batch = q.size(0), length = q.size(1), hidden = q.size(2), size = hidden / heads;
        Tensor Split(Tensor t) => t.to(ScalarType.Float64).view(batch, length, heads, size).transpose(1, 2);
        var scores = matmul(Split(q), Split(k).transpose(-2, -1)) / Math.Sqrt(size);
        if (mask is not null) scores = scores + mask.to(ScalarType.Float64);
        return matmul(scores.softmax(-1), Split(v)).transpose(1, 2).reshape(batch, length, hidden);
    }
}
