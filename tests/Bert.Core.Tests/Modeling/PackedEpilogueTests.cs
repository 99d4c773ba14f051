using Bert.Core.Modeling;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Modeling;

/// <summary>
/// The packed kernel's epilogues: a residual added and GELU applied as each block of a product is stored, by the
/// AVX-512 kernels (16 lanes) and by the AVX2 one (8 lanes; forced on AVX-512 processors too). The residual sum against
/// the separate addition, bit for bit; GELU against float64 <c>gelu</c>, and the two widths' GELU and e^x against each
/// other, bit for bit; the layers' fused path against their separate operations; and where the epilogues do not apply.
/// </summary>
public class PackedEpilogueTests
{
    /// <summary>Where .NET runs AVX-512 code (not the processor's flags: <c>DOTNET_EnableAVX512F=0</c> turns it off).</summary>
    private static bool Avx512 => Avx512F.IsSupported;

    /// <summary>Where the packed kernel (and so its epilogues) runs at all: AVX2 and FMA.</summary>
    private static bool Packed => Avx2.IsSupported && Fma.IsSupported;

    public static TheoryData<long[], long, bool> Shapes()
    {
        var data = new TheoryData<long[], long, bool>();
        foreach (bool avx2Only in new[] { false, true })
        {
            data.Add([1, 128, 384], 384, avx2Only);      // one 128-token MiniLM sequence: 16 blocks of 8 rows, 12 panel pairs
            data.Add([2, 9, 40], 48, avx2Only);          // 18 rows (2 blocks and 2 rows), 3 panels: a pair and a panel left over
            data.Add([1, 1, 64], 16, avx2Only);          // one row, one panel
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_residual_sum_is_the_separate_addition_bit_for_bit(long[] inputShape, long outFeatures, bool avx2Only)
    {
        using var scope = NewDisposeScope();
        using var layer = Layer(inputShape[^1], outFeatures, seed: 31);
        var x = randn(inputShape, generator: new Generator(32));
        var shape = inputShape.ToArray();
        shape[^1] = outFeatures;
        var residual = randn(shape, generator: new Generator(33));
        using var kernel = avx2Only ? PackedGemm.Avx2Only() : null;
        using var inference = inference_mode();
        var fused = layer.ForwardFused(x, residual, gelu: false);
        if (!Packed)
        {
            fused.Should().BeNull("the packed kernel needs AVX2 and FMA");
            return;
        }
        fused.Should().NotBeNull();
        fused!.shape.Should().Equal(shape);
        fused.eq(layer.forward(x) + residual).all().item<bool>().Should().BeTrue();
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gelu_after_the_product_matches_float64_gelu(long[] inputShape, long outFeatures, bool avx2Only)
    {
        using var scope = NewDisposeScope();
        using var layer = Layer(inputShape[^1], outFeatures, seed: 34);
        var x = randn(inputShape, generator: new Generator(35)) * 3;
        using var kernel = avx2Only ? PackedGemm.Avx2Only() : null;
        using var inference = inference_mode();
        var fused = layer.ForwardFused(x, null, gelu: true);
        if (!Packed)
        {
            fused.Should().BeNull("the packed kernel needs AVX2 and FMA");
            return;
        }
        var product = layer.forward(x);
        var expected = nn.functional.gelu(product.to(ScalarType.Float64));
        var error = (fused!.to(ScalarType.Float64) - expected).abs() / (expected.abs() + 1);
        error.max().item<double>().Should().BeLessThan(1e-6, "float32 GELU of the same sums");
    }

    /// <summary>Every float32 step around 0, then a dense grid over [-12, 12] and values far out, where GELU is 0 or x.</summary>
    private static float[] GeluInputs()
    {
        var values = Enumerable.Range(-2000, 4001).Select(i => i * 0.006f)
            .Concat([0f, -0f, 1e-30f, -1e-30f, 1e-8f, -1e-8f, -9f, -13f, -20f, -87f, -100f, -1e30f, 20f, 100f, 1e30f])
            .ToArray();
        Array.Resize(ref values, (values.Length + 15) / 16 * 16);
        return values;
    }

    /// <summary>e^x's inputs: its whole range x ≤ 0, densest at its end (−87, below which it gives 0), and beyond.</summary>
    private static float[] ExpInputs()
    {
        var values = Enumerable.Range(0, 20000).Select(i => -i * 0.0047f)
            .Concat(Enumerable.Range(0, 4000).Select(i => -86.5f - i * 0.00025f))
            .Concat([-0f, -1e-30f, -88f, -103f, -104f, -200f, float.NegativeInfinity, float.NaN])
            .ToArray();
        Array.Resize(ref values, (values.Length + 15) / 16 * 16);
        return values;
    }

    private static float[] Each512(float[] values, Func<Vector512<float>, Vector512<float>> f)
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i += 16) f(Vector512.Create(values, i)).CopyTo(result.AsSpan(i));
        return result;
    }

    private static float[] Each256(float[] values, Func<Vector256<float>, Vector256<float>> f)
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i += 8) f(Vector256.Create(values, i)).CopyTo(result.AsSpan(i));
        return result;
    }

    private static void ShouldMatchFloat64Gelu(float[] values, float[] actual)
    {
        using var scope = NewDisposeScope();
        var expected = nn.functional.gelu(tensor(values).to(ScalarType.Float64)).data<double>().ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            double tolerance = 3e-7 * Math.Max(1, Math.Abs(expected[i]));
            Math.Abs(actual[i] - expected[i]).Should().BeLessThan(tolerance, $"GELU({values[i]:R}) = {expected[i]:R}, got {actual[i]:R}");
        }
    }

    [Fact]
    public void Vector_gelu_matches_float64_gelu_over_its_range()
    {
        if (!Avx512) return;    // the 16-lane form is AVX-512 code; elsewhere nothing runs it (see the 8-lane test)
        var values = GeluInputs();
        ShouldMatchFloat64Gelu(values, Each512(values, VectorGelu.Apply));
    }

    [Fact]
    public void Vector_gelu_on_8_lanes_matches_float64_gelu_over_its_range()
    {
        if (!Packed) return;    // AVX2 and FMA code; elsewhere nothing runs it (see the theories above)
        var values = GeluInputs();
        ShouldMatchFloat64Gelu(values, Each256(values, VectorGelu.Apply));
    }

    [Fact]
    public void The_two_widths_give_the_same_bits()
    {
        if (!Avx512) return;    // only an AVX-512 processor runs both
        var values = GeluInputs();
        Each256(values, VectorGelu.Apply).Should().Equal(Each512(values, VectorGelu.Apply), "GELU takes the same steps on 8 lanes");
        var exponents = ExpInputs();
        var wide = Each512(exponents, VectorGelu.Exp);
        Each256(exponents, VectorGelu.Exp).Should().Equal(wide, "2^n from its bits times p rounds as vscalefps does");
        double smallest = wide.Where(v => v > 0).Min();
        (smallest / Math.Exp(-87)).Should().BeApproximately(1, 1e-6, "the inputs reach the last kept one, e^−87, near float32's smallest normal");
        for (int i = 0; i < exponents.Length; i++)
            if (!(exponents[i] >= -87f)) wide[i].Should().Be(0, $"e^{exponents[i]:R} is cleared (below −87, and NaN)");
    }

    [Fact]
    public void Products_off_the_packed_kernel_are_left_to_the_caller()
    {
        using var scope = NewDisposeScope();
        using var layer = Layer(40, 48, seed: 36);
        var x = randn(new[] { 5L, 40 }, generator: new Generator(37));
        using (no_grad())
        {
            layer.Kernel = LinearKernel.Gemm;
            layer.ForwardFused(x, null, gelu: true).Should().BeNull("MKL runs this product");
            layer.Kernel = LinearKernel.Packed;
            layer.ForwardFused(x, zeros(5, 40), gelu: false).Should().BeNull("the residual is not of the output's shape");
        }
        layer.ForwardFused(x, null, gelu: true).Should().BeNull("a gradient flows through the weight");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_layer_in_eval_mode_gives_the_separate_operations_results(bool avx2Only)
    {
        // BertIntermediate and BertOutput fuse GELU and the residual where their product runs on the packed kernel;
        // the same layer with MKL's product (no fusion) must agree to float32 rounding.
        using var scope = NewDisposeScope();
        var config = new BertConfig { VocabSize = 50, HiddenSize = 64, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 128 };
        using var layer = new BertLayer(config);
        layer.eval();
        var x = randn(new[] { 2L, 12, 64 }, generator: new Generator(38));
        var mask = zeros(2, 1, 1, 12);
        using var kernel = avx2Only ? PackedGemm.Avx2Only() : null;
        using var inference = inference_mode();
        var fused = layer.call(x, mask);
        BertLinear.SetKernel(layer, LinearKernel.Gemm);
        var separate = layer.call(x, mask);
        (fused - separate).abs().max().item<float>().Should().BeLessThan(2e-5f);
        if (Packed && CpuInfo.InferenceTuningExpected)
            fused.eq(separate).all().item<bool>().Should().BeFalse("the packed kernel (with its epilogues) must really have run");
    }

    private static BertLinear Layer(long inFeatures, long outFeatures, int seed)
    {
        var layer = PackedLinearTests.Layer(inFeatures, outFeatures, seed);
        layer.Kernel = LinearKernel.Packed;
        return layer;
    }
}
