using System.Text.Json;
using Bert.Core.Modeling;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Modeling;

/// <summary>
/// Mixed precision (<see cref="BertLinear.ComputeType"/> = BFloat16 with float32 weights) against PyTorch's autocast
/// (TestData/mixed/make_mixed_linear_goldens.py), and a whole model against its float32 self. bfloat16 is emulated
/// on processors without avx512_bf16, so these run small shapes.
/// </summary>
public class MixedPrecisionTests(ITestOutputHelper output)
{
    private static readonly string GoldenPath = Path.Combine(AppContext.BaseDirectory, "TestData", "mixed", "mixed_linear_goldens.json");

    public static TheoryData<string> Cases() => new() { "small", "no-bias", "wide" };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_mixed_precision_linear_equals_PyTorch_autocast_forward_and_backward(string name)
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(GoldenPath));
        var c = json.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        float[] Floats(string key) => c.GetProperty(key).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
        long rows = c.GetProperty("rows").GetInt64(), cols = c.GetProperty("cols").GetInt64();
        long inputs = c.GetProperty("in").GetInt64(), outputs = c.GetProperty("out").GetInt64();
        bool hasBias = c.GetProperty("bias").ValueKind != JsonValueKind.Null;

        using var scope = NewDisposeScope();
        var x = tensor(Floats("x"), [rows, cols, inputs]).requires_grad_();
        var w = tensor(Floats("weight"), [outputs, inputs]).requires_grad_();
        var b = hasBias ? tensor(Floats("bias"), [outputs]).requires_grad_() : null;
        var upstream = tensor(Floats("upstream"), [rows, cols, outputs]);
        var y = BertLinear.Apply(x, w, b, computeType: ScalarType.BFloat16);
        y.dtype.Should().Be(ScalarType.Float32, "the result goes back to float32 for LayerNorm, GELU and the residual stream");
        (y * upstream).sum().backward();

        // Exact sums (float64) of the bfloat16-rounded operands, autocast's convention: input, weight and the product's
        // incoming gradient are rounded to bfloat16, products and sums are not. The bias is added in float32 (autocast
        // rounds it too, a difference well inside one step), so its gradient is the exact sum of the float32 one.
        Tensor Rounded(Tensor t) => t.detach().to(ScalarType.BFloat16).to(ScalarType.Float64);
        var x64 = Rounded(x).reshape(-1, inputs);
        var w64 = Rounded(w);
        var g64 = Rounded(upstream).reshape(-1, outputs);
        var exactY = x64.matmul(w64.t()) + (b is null ? zeros([outputs], ScalarType.Float64) : b.detach().to(ScalarType.Float64));

        Compare(y, exactY, Floats("y"), "output");
        Compare(x.grad!, g64.matmul(w64), Floats("grad_x"), "input gradient");
        Compare(w.grad!, g64.t().matmul(x64), Floats("grad_weight"), "weight gradient");
        w.grad!.dtype.Should().Be(ScalarType.Float32, "float32 weights get float32 gradients (the optimizer's masters)");
        if (b is not null) Compare(b.grad!, upstream.to(ScalarType.Float64).reshape(-1, outputs).sum(dim: 0), Floats("grad_bias"), "bias gradient");
        if (b is null)
            CountEqual(y, Floats("y")).Should().BeGreaterThan(Floats("y").Length * 3 / 4, "without a bias both are the product rounded once to bfloat16");
    }

    /// <summary>
    /// Ours within one bfloat16 step (2^-7 of the largest value's binade) of the exact sum, and no further from PyTorch's
    /// autocast than that step plus PyTorch's own distance from the exact sum (its bfloat16 backward products round
    /// partial sums: up to several steps).
    /// </summary>
    private void Compare(Tensor actual, Tensor exact, float[] pytorch, string what)
    {
        var ours = actual.detach().cpu().to(ScalarType.Float64).flatten().data<double>().ToArray();
        var reference = exact.flatten().data<double>().ToArray();
        ours.Should().HaveCount(pytorch.Length, what);
        double step = Math.Pow(2, Math.Floor(Math.Log2(reference.Max(Math.Abs)))) / 128;
        double ourError = ours.Zip(reference).Max(p => Math.Abs(p.First - p.Second));
        double theirError = pytorch.Zip(reference).Max(p => Math.Abs(p.First - p.Second));
        double apart = ours.Zip(pytorch).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"{what}: ours {ourError / step:F2} steps from exact, PyTorch autocast {theirError / step:F2}, apart {apart / step:F2}");
        ourError.Should().BeLessThanOrEqualTo(step, $"the {what} is the exact sum rounded once to bfloat16");
        apart.Should().BeLessThanOrEqualTo(step + theirError, $"the {what} agrees with PyTorch autocast's as far as that is exact");
    }

    private static int CountEqual(Tensor actual, float[] expected) =>
        actual.detach().cpu().data<float>().ToArray().Zip(expected).Count(p => p.First == p.Second);

    [Fact]
    public void A_mixed_precision_model_stays_close_to_float32_and_its_float32_weights_get_float32_gradients()
    {
        var config = new BertConfig { VocabSize = 120, HiddenSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 128, MaxPositionEmbeddings = 32 };
        manual_seed(11);
        using var model = new BertModel(config);
        model.eval();   // no dropout: the two runs differ only in the products' precision
        using var scope = NewDisposeScope();
        var ids = randint(1, 120, [3, 20]);
        var upstream = randn(3, 20, 64);
        (Tensor Output, Dictionary<string, Tensor> Grads) Run()
        {
            model.zero_grad();
            var output = model.forward(ids, zeros_like(ids), ones_like(ids)).SequenceOutput;
            (output * upstream).sum().backward();
            // The pooler is not part of the sequence output: it gets no gradient.
            return (output.detach(), model.named_parameters().Where(p => !p.name.StartsWith("pooler.", StringComparison.Ordinal))
                .ToDictionary(p => p.name, p => p.parameter.grad?.clone() ?? throw new InvalidOperationException($"{p.name} got no gradient")));
        }

        var (full, fullGrads) = Run();
        BertLinear.ComputeTypeOf(model).Should().BeNull();
        BertLinear.SetComputeType(model, ScalarType.BFloat16);
        BertLinear.ComputeTypeOf(model).Should().Be(ScalarType.BFloat16);
        var (mixed, mixedGrads) = Run();

        mixed.dtype.Should().Be(ScalarType.Float32);
        model.parameters().Should().OnlyContain(p => p.dtype == ScalarType.Float32, "the weights stay float32");
        var cosine = nn.functional.cosine_similarity(mixed.reshape(-1, 64), full.reshape(-1, 64), dim: 1);
        cosine.min().item<float>().Should().BeGreaterThan(0.995f, "every token's vector stays within bfloat16 rounding of float32's");
        double relative = (mixed - full).abs().max().item<float>() / full.abs().max().item<float>();
        relative.Should().BeGreaterThan(0, "the products really ran in bfloat16").And.BeLessThan(0.05);
        foreach (var (name, grad) in mixedGrads)
        {
            // Softmax ignores what the key bias adds (the same q·b for every key of a query): its gradient is rounding noise.
            if (name.EndsWith("attention.self.key.bias", StringComparison.Ordinal)) continue;
            grad.dtype.Should().Be(ScalarType.Float32, name);
            var reference = fullGrads[name];
            double agreement = nn.functional.cosine_similarity(grad.flatten(), reference.flatten(), dim: 0).item<float>();
            agreement.Should().BeGreaterThan(0.99, $"{name}'s gradient points where float32's does");
        }

        BertLinear.SetComputeType(model, null);
        Run().Output.allclose(full, rtol: 0, atol: 0).Should().BeTrue("null restores the float32 products bit for bit");
    }

    [Fact]
    public void Only_bfloat16_or_null_is_a_compute_type()
    {
        using var linear = new BertLinear(4, 3);
        var act = () => linear.ComputeType = ScalarType.Float16;
        act.Should().Throw<ArgumentException>().WithMessage("*BFloat16*Float16*");
        var build = () => new BertModelBuilder(ModelTestData.TinyConfig()).WithComputeType(ScalarType.Float64);
        build.Should().Throw<ArgumentException>().WithMessage("*compute type*Float64*").Which.ParamName.Should().Be("value");
    }
}
