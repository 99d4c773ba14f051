using Bert.Core.Modeling;
using static TorchSharp.torch;

namespace Bert.Benchmarks;

/// <summary>
/// Milliseconds of the single operations a BERT layer is made of, on the given shape and dtype (to find where time
/// goes), with each linear timed through MKL and oneDNN (<see cref="LinearKernel"/>), forward and forward+backward, and
/// through the packed kernel, forward without gradients.
/// </summary>
internal static class OpsBench
{
    public static Dictionary<string, object> Run(string shape, BenchOptions o)
    {
        set_num_threads(o.Threads);
        var c = ModelBench.Config(shape);
        var dtype = o.DType == "bf16" ? ScalarType.BFloat16 : ScalarType.Float32;
        using var scope = NewDisposeScope();
        long h = c.HiddenSize, inter = c.IntermediateSize, heads = c.NumAttentionHeads;
        var x = randn(o.Batch, o.Seq, h).to(dtype);
        var xi = randn(o.Batch, o.Seq, inter).to(dtype);
        var wHH = randn(h, h).to(dtype);
        var wHI = randn(inter, h).to(dtype);
        var wIH = randn(h, inter).to(dtype);
        var bH = randn(h).to(dtype);
        var bI = randn(inter).to(dtype);
        var g = ones(h).to(dtype);
        var q = randn(o.Batch, heads, o.Seq, h / heads).to(dtype);
        var mask = zeros(o.Batch, 1, 1, o.Seq).to(dtype);

        double Ms(Func<Tensor> f)
        {
            using var noGrad = no_grad();
            for (int i = 0; i < o.Warmup + 2; i++) f().Dispose();
            return Math.Round(1000 * Measure.Median(Enumerable.Range(0, o.Iterations * 4).Select(_ => Measure.Seconds(() => f().Dispose()))), 3);
        }

        double ForwardBackwardMs(Tensor input, Tensor weight, Tensor bias, LinearKernel kernel)
        {
            using var grad = enable_grad();
            var xg = input.detach().requires_grad_();
            var wg = weight.detach().requires_grad_();
            var bg = bias.detach().requires_grad_();
            var times = new List<double>();
            for (int i = 0; i < o.Warmup + o.Iterations * 2; i++)
            {
                using var step = NewDisposeScope();
                double s = Measure.Seconds(() => BertLinear.Apply(xg, wg, bg, kernel).sum().backward());
                if (i >= o.Warmup) times.Add(s);
                xg.grad!.zero_(); wg.grad!.zero_(); bg.grad!.zero_();
            }
            return Math.Round(1000 * Measure.Median(times), 3);
        }

        var r = new Dictionary<string, object>
        {
            ["impl"] = "bert.net", ["shape"] = shape, ["mode"] = "ops", ["dtype"] = o.DType, ["batch"] = o.Batch, ["seq"] = o.Seq, ["threads"] = o.Threads,
        };
        foreach (var kernel in new[] { LinearKernel.Gemm, LinearKernel.OneDnn })
        {
            string k = kernel.ToString().ToLowerInvariant();
            r[$"linear_h_h_{k}_ms"] = Ms(() => BertLinear.Apply(x, wHH, bH, kernel));
            r[$"linear_h_i_{k}_ms"] = Ms(() => BertLinear.Apply(x, wHI, bI, kernel));
            r[$"linear_i_h_{k}_ms"] = Ms(() => BertLinear.Apply(xi, wIH, bH, kernel));
            r[$"linear_h_i_fwd_bwd_{k}_ms"] = ForwardBackwardMs(x, wHI, bI, kernel);
        }
        if (dtype == ScalarType.Float32)
        {
            // Bert.NET's packed kernel, forward without gradients (inference), through a layer that keeps its packed copy.
            foreach (var (name, input, w, b) in new[] { ("h_h", x, wHH, bH), ("h_i", x, wHI, bI), ("i_h", xi, wIH, bH) })
            {
                using var layer = new BertLinear(w.size(1), w.size(0)) { Kernel = LinearKernel.Packed };
                using (no_grad()) { layer.Weight.copy_(w); layer.Bias.copy_(b); }
                r[$"linear_{name}_packed_ms"] = Ms(() => layer.forward(input));
            }

            // What bf16 mixed precision (fp32 weights, bf16 products) would add around each product: the casts of the
            // input and the weight to bf16 and of the result back, and the whole mixed hidden -> intermediate product.
            var xiBf = xi.to(ScalarType.BFloat16);
            r["cast_h_to_bf16_ms"] = Ms(() => x.to(ScalarType.BFloat16));
            r["cast_weight_h_i_to_bf16_ms"] = Ms(() => wHI.to(ScalarType.BFloat16));
            r["cast_i_bf16_to_fp32_ms"] = Ms(() => xiBf.to(ScalarType.Float32));
            r["linear_h_i_mixed_bf16_ms"] = Ms(() =>
            {
                using var casts = NewDisposeScope();   // the three bf16 copies and the bf16 result die with each call
                return nn.functional.linear(x.to(ScalarType.BFloat16), wHI.to(ScalarType.BFloat16), bI.to(ScalarType.BFloat16))
                    .to(ScalarType.Float32).MoveToOuterDisposeScope();
            });

            // The same product with float16 operands already cast (libtorch's own half-precision path, forward and
            // forward+backward): whether float16 products, which avx512_fp16 issues at twice the float32 rate
            // (bench/isa_peak.c), run faster through libtorch than float32 ones.
            var xHalf = x.to(ScalarType.Float16);
            var wHIHalf = wHI.to(ScalarType.Float16);
            var bIHalf = bI.to(ScalarType.Float16);
            r["linear_h_i_fp16_ms"] = Ms(() => nn.functional.linear(xHalf, wHIHalf, bIHalf));
            r["linear_h_i_fwd_bwd_fp16_ms"] = ForwardBackwardMs(xHalf, wHIHalf, bIHalf, LinearKernel.Gemm);
        }
        r["sdpa_ms"] = Ms(() => nn.functional.scaled_dot_product_attention(q, q, q, mask));
        r["gelu_i_ms"] = Ms(() => nn.functional.gelu(xi));
        r["layernorm_h_ms"] = Ms(() => nn.functional.layer_norm(x, new[] { h }, g, bH, 1e-12));
        r["add_h_ms"] = Ms(() => x + x);
        r["seq_per_s"] = 0.0;
        r["peak_rss_mb"] = Measure.PeakRssMb();
        return r;
    }
}
