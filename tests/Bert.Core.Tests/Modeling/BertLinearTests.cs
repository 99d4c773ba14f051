using Bert.Core.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Modeling;

/// <summary>
/// BertLinear against float64 <c>nn.functional.linear</c> (values and gradients) with both kernels, on shapes that take
/// each branch: 1-D and 2-D inputs, row counts that 16 does not divide, and 512 rows that libtorch gives to oneDNN.
/// </summary>
public class BertLinearTests
{
    public static TheoryData<long[], long, LinearKernel> Shapes() => new()
    {
        { [8], 4, LinearKernel.OneDnn },
        { [5, 7], 3, LinearKernel.OneDnn },
        { [3, 9, 8], 32, LinearKernel.OneDnn },           // 27 rows: one conv image
        { [2, 6, 40], 24, LinearKernel.OneDnn },          // 12 rows: 4 images of 3
        { [16, 32, 256], 1024, LinearKernel.OneDnn },     // 512 rows: 16 images, oneDNN
        { [16, 32, 256], 1024, LinearKernel.Gemm },
        { [16, 32, 256], 1024, LinearKernel.Auto },
        { [3, 100, 96], 288, LinearKernel.Auto },         // 300 rows: 4 images of 75
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Output_and_gradients_match_float64_linear(long[] inputShape, long outFeatures, LinearKernel kernel)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(7);
        long inFeatures = inputShape[^1];
        var x = randn(inputShape, generator: g).requires_grad_();
        var w = randn(new[] { outFeatures, inFeatures }, generator: g).requires_grad_();
        var b = randn(new[] { outFeatures }, generator: g).requires_grad_();
        var y = BertLinear.Apply(x, w, b, kernel);
        var upstream = randn(y.shape, generator: g);
        (y * upstream).sum().backward();

        var x64 = x.detach().to(ScalarType.Float64).requires_grad_();
        var w64 = w.detach().to(ScalarType.Float64).requires_grad_();
        var b64 = b.detach().to(ScalarType.Float64).requires_grad_();
        var y64 = nn.functional.linear(x64, w64, b64);
        (y64 * upstream.to(ScalarType.Float64)).sum().backward();

        y.shape.Should().Equal(y64.shape);
        RelativeError(y, y64).Should().BeLessThan(5e-6, "float32 sums of up to 1024 products");
        RelativeError(x.grad!, x64.grad!).Should().BeLessThan(5e-6, "float32 sums of up to 1024 products");
        RelativeError(w.grad!, w64.grad!).Should().BeLessThan(5e-6, "float32 sums of up to 1024 products");
        RelativeError(b.grad!, b64.grad!).Should().BeLessThan(5e-6, "float32 sums of up to 1024 products");
    }

    [Theory]
    [InlineData(LinearKernel.Gemm, 16, 32)]
    [InlineData(LinearKernel.Auto, 4, 16)]   // 64 rows: below OneDnnMinRows, so plain linear
    public void Gemm_and_small_Auto_are_bit_identical_to_nn_functional_linear(LinearKernel kernel, long batch, long length)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        var x = randn(new[] { batch, length, 64L }, generator: g);
        var w = randn(new[] { 48L, 64L }, generator: g);
        var b = randn(new[] { 48L }, generator: g);
        BertLinear.Apply(x, w, b, kernel).eq(nn.functional.linear(x, w, b)).all().item<bool>().Should().BeTrue();
    }

    [Theory]
    [InlineData(false, 2048L)]
    [InlineData(true, 2048L)]
    [InlineData(false, 512L)]
    public void Auto_takes_the_kernel_measured_faster_for_this_processor_direction_and_size(bool needsGradient, long rows)
    {
        // AVX-512 but not Intel: oneDNN from 256 rows, forward and backward (Intel: MKL). AVX2 only: oneDNN only when no gradient flows through
        // the product (inference) and from 1024 rows, unless MKL's AVX2 kernels are unlocked. The kernels' results differ in the last bits, so which one ran
        // shows in a bitwise comparison.
        using var scope = NewDisposeScope();
        var g = new Generator(5);
        var x = randn(new[] { rows, 1000L }, generator: g).requires_grad_(needsGradient);   // 1000 inputs: the two kernels block the sum differently
        var w = randn(new[] { 384L, 1000L }, generator: g);
        var b = randn(new[] { 384L }, generator: g);
        // Once MKL runs its AVX2 kernels on an AMD processor (this assembly's start-up asks for it), MKL everywhere.
        bool expectOneDnn = System.Runtime.Intrinsics.X86.Avx512F.IsSupported
            ? CpuInfo.Vendor != "GenuineIntel" && rows >= BertLinear.OneDnnMinRows
            : !MklVendorCheck.Bypassed && !needsGradient && rows >= BertLinear.OneDnnMinRowsAvx2;
        var auto = BertLinear.Apply(x, w, b, LinearKernel.Auto);
        var gemm = BertLinear.Apply(x, w, b, LinearKernel.Gemm);
        var oneDnn = BertLinear.Apply(x, w, b, LinearKernel.OneDnn);
        oneDnn.eq(gemm).all().item<bool>().Should().BeFalse("the two kernels must be told apart by their rounding");
        auto.eq(expectOneDnn ? oneDnn : gemm).all().item<bool>().Should().BeTrue(
            $"{CpuCapabilities.Isa}, {rows} rows, gradient {needsGradient}: expected {(expectOneDnn ? "oneDNN" : "MKL GEMM")}");
    }

    [Fact]
    public void Bfloat16_always_runs_nn_functional_linear()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(5);
        var x = randn(new[] { 16L, 32, 64 }, generator: g).to(ScalarType.BFloat16);
        var w = randn(new[] { 48L, 64 }, generator: g).to(ScalarType.BFloat16);
        var b = randn(new[] { 48L }, generator: g).to(ScalarType.BFloat16);
        BertLinear.Apply(x, w, b, LinearKernel.OneDnn).eq(nn.functional.linear(x, w, b)).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void State_dict_has_the_names_and_shapes_of_nn_Linear_and_loads_its_weights()
    {
        using var scope = NewDisposeScope();
        using var linear = new BertLinear(5, 3);
        var dict = linear.state_dict();
        dict.Keys.Should().Equal("weight", "bias");
        dict["weight"].shape.Should().Equal(3, 5);
        dict["bias"].shape.Should().Equal(3);

        using var reference = nn.Linear(5, 3);
        linear.load_state_dict(reference.state_dict());
        var x = randn(2, 5);
        linear.call(x).eq(reference.call(x)).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void A_wrong_input_width_names_both_shapes()
    {
        using var linear = new BertLinear(8, 4);
        using var x = zeros(2, 3, 7);
        var act = () => linear.call(x);
        act.Should().Throw<ArgumentException>().WithMessage("*[2, 3, 7]*must be 8*weight is [4, 8]*");
    }

    [Fact]
    public void SetKernel_reaches_the_six_projections_of_every_layer_and_dtype_conversion_reaches_their_parameters()
    {
        var config = new BertConfig
        {
            VocabSize = 50, HiddenSize = 16, NumHiddenLayers = 3, NumAttentionHeads = 2, IntermediateSize = 32, MaxPositionEmbeddings = 20,
        };
        using var model = new BertModel(config);
        var linears = model.modules().OfType<BertLinear>().ToList();
        linears.Should().HaveCount(6 * 3);
        linears.Should().OnlyContain(l => l.Kernel == LinearKernel.Auto);
        BertLinear.SetKernel(model, LinearKernel.Gemm);
        linears.Should().OnlyContain(l => l.Kernel == LinearKernel.Gemm);

        model.to(ScalarType.BFloat16);
        linears.Should().OnlyContain(l => l.Weight.dtype == ScalarType.BFloat16 && l.Bias.dtype == ScalarType.BFloat16);
        model.state_dict()["encoder.layer.2.output.dense.weight"].dtype.Should().Be(ScalarType.BFloat16);
    }

    private static double RelativeError(Tensor actual, Tensor expected)
    {
        using var scope = NewDisposeScope();
        var e = expected.to(ScalarType.Float64);
        return (actual.to(ScalarType.Float64) - e).abs().max().item<double>() / e.abs().max().item<double>();
    }
}
