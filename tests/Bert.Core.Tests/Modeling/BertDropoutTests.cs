using Bert.Core.Modeling;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Modeling;

/// <summary>
/// <see cref="BertDropout"/> and its mask (<see cref="DropoutMask"/>): the drop rate and the kept scale, independence
/// between neighbouring elements, between SIMD lanes and between masks drawn one after another, the same bits at every
/// SIMD width and thread count, the module's eval and training behaviour, its gradient, and repeatability under
/// <c>manual_seed</c>.
/// </summary>
public class BertDropoutTests
{
    private static float[] Mask(long first, int count, ulong seed, double p, int width)
    {
        var mask = new float[count];
        DropoutMask.Fill(mask, first, seed, DropoutMask.Threshold(p), (float)(1.0 / (1.0 - p)), width);
        return mask;
    }

    public static TheoryData<int> Widths()
    {
        var data = new TheoryData<int> { 1 };
        if (Vector256.IsHardwareAccelerated) data.Add(8);
        return data;
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Every_simd_width_gives_the_scalar_mask_bit_for_bit(int width)
    {
        // Odd starts and lengths (vector loops and their tails), and a stretch across element 2^32, where the high
        // bits of the counter start to key the hash.
        foreach (var (first, count) in new (long, int)[] { (0, 1000), (5, 37), (123, 4099), ((1L << 32) - 21, 77) })
        {
            var expected = new float[count];
            for (int i = 0; i < count; i++)
            {
                long index = first + i;
                uint key1 = (uint)(0xDEADBEEF12345678UL >> 32) ^ unchecked(0x9E3779B9u * (uint)(index >> 32));
                expected[i] = DropoutMask.Hash((uint)index, 0x12345678u, key1) >= DropoutMask.Threshold(0.3) ? (float)(1 / 0.7) : 0f;
            }
            Mask(first, count, 0xDEADBEEF12345678UL, 0.3, width).Should().Equal(expected, $"elements {first}..{first + count - 1}");
        }
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void Elements_drop_with_probability_p_and_the_rest_hold_one_over_one_minus_p(double p)
    {
        const int n = 1 << 22;
        var mask = Mask(0, n, 0x243F6A8885A308D3UL, p, DropoutMask.Width);
        var kept = (float)(1.0 / (1.0 - p));
        mask.Should().OnlyContain(x => x == 0f || x == kept);
        double dropped = mask.Count(x => x == 0f) / (double)n;
        dropped.Should().BeApproximately(p, 5 * Math.Sqrt(p * (1 - p) / n));
    }

    [Fact]
    public void Neighbours_lanes_rows_and_consecutive_masks_are_independent()
    {
        // P(both dropped) = p^2 for pairs of elements 1, 8, 16 and 256 apart (neighbours, one and two vectors apart, rows of
        // a hidden size) and for the same element of two masks with different seeds.
        const int n = 1 << 21;
        const double p = 0.3;
        var a = Mask(0, n, 1, p, DropoutMask.Width);
        var b = Mask(0, n, 2, p, DropoutMask.Width);
        double Both(Func<int, bool> pair, int pairs) => Enumerable.Range(0, pairs).Count(pair) / (double)pairs;
        double tolerance(int pairs) => 5 * Math.Sqrt(p * p * (1 - p * p) / pairs);
        foreach (var lag in new[] { 1, 8, 16, 256 })
            Both(i => a[i] == 0 && a[i + lag] == 0, n - lag).Should().BeApproximately(p * p, tolerance(n - lag), $"lag {lag}");
        Both(i => a[i] == 0 && b[i] == 0, n).Should().BeApproximately(p * p, tolerance(n), "two seeds");
        a.Should().NotEqual(b);
    }

    [Fact]
    public void Threads_do_not_change_the_mask()
    {
        const int n = 300_007;
        var one = new float[n];
        var two = new float[n];
        DropoutMask.Fill(one, 99, 0.2, threads: 1);
        DropoutMask.Fill(two, 99, 0.2, threads: 2);
        two.Should().Equal(one);
        one.Should().Equal(Mask(0, n, 99, 0.2, 1));
    }

    [Fact]
    public void Eval_mode_passes_the_input_through_and_training_multiplies_by_a_mask()
    {
        using var scope = NewDisposeScope();
        using var dropout = new BertDropout(0.25);
        var x = rand(new long[] { 64, 48 }, generator: new Generator(5)) + 0.5f;   // no zeros
        dropout.eval();
        dropout.forward(x).Should().BeSameAs(x);
        dropout.train();
        var y = dropout.forward(x);
        var ratio = (y / x).data<float>().ToArray();
        ratio.Should().OnlyContain(r => r == 0f || Math.Abs(r - 1 / 0.75f) < 1e-6f);
        ratio.Count(r => r == 0f).Should().BeInRange(600, 950);   // 3072 elements, p = 0.25: 768 expected, 24 sd
        BertDropout.Apply(x, 0, training: true).Should().BeSameAs(x);
        BertDropout.Apply(x, 1, training: true).abs().sum().item<float>().Should().Be(0f);
    }

    [Fact]
    public void The_gradient_is_the_incoming_one_times_the_mask()
    {
        using var scope = NewDisposeScope();
        var x = (rand(new long[] { 40, 33 }, generator: new Generator(6)) + 0.5f).requires_grad_();
        var y = BertDropout.Apply(x, 0.4, training: true);
        var upstream = randn(new long[] { 40, 33 }, generator: new Generator(7));
        (y * upstream).sum().backward();
        var mask = y.detach().ne(0).to(ScalarType.Float32) * (float)(1 / 0.6);   // x has no zeros: y is 0 exactly where dropped
        x.grad!.data<float>().ToArray().Should().Equal((upstream * mask).data<float>().ToArray());
    }

    [Fact]
    public void Manual_seed_repeats_the_masks_and_each_call_draws_a_new_one()
    {
        using var scope = NewDisposeScope();
        var x = ones(1000);
        manual_seed(42);
        var first = BertDropout.Apply(x, 0.5, training: true).data<float>().ToArray();
        var second = BertDropout.Apply(x, 0.5, training: true).data<float>().ToArray();
        manual_seed(42);
        BertDropout.Apply(x, 0.5, training: true).data<float>().ToArray().Should().Equal(first);
        second.Should().NotEqual(first);
    }

    [Fact]
    public void Other_dtypes_take_libtorchs_dropout_and_bad_probabilities_are_refused()
    {
        using var scope = NewDisposeScope();
        var x = ones(new long[] { 4000 }, ScalarType.Float64);
        var y = BertDropout.Apply(x, 0.5, training: true);
        y.dtype.Should().Be(ScalarType.Float64);
        y.eq(0).sum().item<long>().Should().BeInRange(1700, 2300);
        ((Action)(() => new BertDropout(1.5))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[0, 1]*");
        ((Action)(() => BertDropout.Apply(x, double.NaN, true))).Should().Throw<ArgumentOutOfRangeException>();
    }
}
