using Bert.Core.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Modeling;

/// <summary>
/// The packed kernel's epilogues (AVX-512): a residual added and GELU applied as each block of a product is stored.
/// The residual sum against the separate addition, bit for bit; GELU against float64 <c>gelu</c>; the layers' fused
/// path against their separate operations; and where the epilogues do not apply.
/// </summary>
public class PackedEpilogueTests
{
    private static bool Avx512 => CpuInfo.Flags.Contains("avx512f");

    public static TheoryData<long[], long> Shapes() => new()
    {
        { [1, 128, 384], 384 },      // one 128-token MiniLM sequence: 16 blocks of 8 rows, 12 panel pairs
        { [2, 9, 40], 48 },          // 18 rows (2 blocks and 2 rows), 3 panels: a pair and a panel left over
        { [1, 1, 64], 16 },          // one row, one panel
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_residual_sum_is_the_separate_addition_bit_for_bit(long[] inputShape, long outFeatures)
    {
        using var scope = NewDisposeScope();
        using var layer = Layer(inputShape[^1], outFeatures, seed: 31);
        var x = randn(inputShape, generator: new Generator(32));
        var shape = inputShape.ToArray();
        shape[^1] = outFeatures;
        var residual = randn(shape, generator: new Generator(33));
        using var inference = inference_mode();
        var fused = layer.ForwardFused(x, residual, gelu: false);
        if (!Avx512)
        {
            fused.Should().BeNull("the epilogues need AVX-512");
            return;
        }
        fused.Should().NotBeNull();
        fused!.shape.Should().Equal(shape);
        fused.eq(layer.forward(x) + residual).all().item<bool>().Should().BeTrue();
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gelu_after_the_product_matches_float64_gelu(long[] inputShape, long outFeatures)
    {
        using var scope = NewDisposeScope();
        using var layer = Layer(inputShape[^1], outFeatures, seed: 34);
        var x = randn(inputShape, generator: new Generator(35)) * 3;
        using var inference = inference_mode();
        var fused = layer.ForwardFused(x, null, gelu: true);
        if (!Avx512)
        {
            fused.Should().BeNull("the epilogues need AVX-512");
            return;
        }
        var product = layer.forward(x);
        var expected = nn.functional.gelu(product.to(ScalarType.Float64));
        var error = (fused!.to(ScalarType.Float64) - expected).abs() / (expected.abs() + 1);
        error.max().item<double>().Should().BeLessThan(1e-6, "float32 GELU of the same sums");
    }

    [Fact]
    public void Vector_gelu_matches_float64_gelu_over_its_range()
    {
        if (!Avx512) return;    // the kernel is AVX-512 code; elsewhere nothing runs it (see the theories above)
        // Every float32 step around 0, then a dense grid over [-12, 12] and values far out, where GELU is 0 or x.
        var values = Enumerable.Range(-2000, 4001).Select(i => i * 0.006f)
            .Concat([0f, -0f, 1e-30f, -1e-30f, 1e-8f, -1e-8f, -9f, -13f, -20f, -87f, -100f, -1e30f, 20f, 100f, 1e30f])
            .ToArray();
        Array.Resize(ref values, (values.Length + 15) / 16 * 16);
        var actual = new float[values.Length];
        for (int i = 0; i < values.Length; i += 16)
            System.Runtime.Intrinsics.Vector512.CopyTo(VectorGelu.Apply(System.Runtime.Intrinsics.Vector512.Create(values, i)), actual.AsSpan(i));
        using var scope = NewDisposeScope();
        var expected = nn.functional.gelu(tensor(values).to(ScalarType.Float64)).data<double>().ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            double tolerance = 3e-7 * Math.Max(1, Math.Abs(expected[i]));
            Math.Abs(actual[i] - expected[i]).Should().BeLessThan(tolerance, $"GELU({values[i]:R}) = {expected[i]:R}, got {actual[i]:R}");
        }
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

    [Fact]
    public void A_layer_in_eval_mode_gives_the_separate_operations_results()
    {
        // BertIntermediate and BertOutput fuse GELU and the residual where their product runs on the packed kernel;
        // the same layer with MKL's product (no fusion) must agree to float32 rounding.
        using var scope = NewDisposeScope();
        var config = new BertConfig { VocabSize = 50, HiddenSize = 64, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 128 };
        using var layer = new BertLayer(config);
        layer.eval();
        var x = randn(new[] { 2L, 12, 64 }, generator: new Generator(38));
        var mask = zeros(2, 1, 1, 12);
        using var inference = inference_mode();
        var fused = layer.call(x, mask);
        BertLinear.SetKernel(layer, LinearKernel.Gemm);
        var separate = layer.call(x, mask);
        (fused - separate).abs().max().item<float>().Should().BeLessThan(2e-5f);
        if (Avx512 && CpuInfo.InferenceTuningExpected)
            fused.eq(separate).all().item<bool>().Should().BeFalse("the packed kernel (with its epilogues) must really have run");
    }

    private static BertLinear Layer(long inFeatures, long outFeatures, int seed)
    {
        var layer = PackedLinearTests.Layer(inFeatures, outFeatures, seed);
        layer.Kernel = LinearKernel.Packed;
        return layer;
    }
}
