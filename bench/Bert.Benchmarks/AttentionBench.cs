using static TorchSharp.torch;

namespace Bert.Benchmarks;

/// <summary>scaled_dot_product_attention against the explicit softmax(QK^T/sqrt(d) + mask) V, on BERT shapes.</summary>
internal static class AttentionBench
{
    public static Dictionary<string, object> Run(string shape, BenchOptions o)
    {
        set_num_threads(o.Threads);
        var c = ModelBench.Config(shape);
        int heads = c.NumAttentionHeads, hs = c.HiddenSize / heads;
        var dtype = o.DType == "bf16" ? ScalarType.BFloat16 : ScalarType.Float32;
        using var scope = NewDisposeScope();
        var q = randn(o.Batch, heads, o.Seq, hs).to(dtype);
        var k = randn(o.Batch, heads, o.Seq, hs).to(dtype);
        var v = randn(o.Batch, heads, o.Seq, hs).to(dtype);
        var mask = zeros(o.Batch, 1, 1, o.Seq).to(dtype);
        double Time(Func<Tensor> f)
        {
            using var noGrad = no_grad();
            for (int i = 0; i < o.Warmup; i++) f().Dispose();
            return Measure.Median(Enumerable.Range(0, o.Iterations * 4).Select(_ => Measure.Seconds(() => f().Dispose())));
        }
        double sdpa = Time(() => nn.functional.scaled_dot_product_attention(q, k, v, mask));
        double scale = 1.0 / Math.Sqrt(hs);
        double explicitAttention = Time(() =>
        {
            using var s = NewDisposeScope();
            return matmul(softmax(matmul(q, k.transpose(-2, -1)).mul_(scale).add_(mask), -1), v).MoveToOuterDisposeScope();
        });
        double maxDiff = (nn.functional.scaled_dot_product_attention(q, k, v, mask)
            - matmul(softmax(matmul(q, k.transpose(-2, -1)) * scale + mask, -1), v)).abs().max().to(ScalarType.Float32).item<float>();
        return new Dictionary<string, object>
        {
            ["impl"] = "bert.net", ["shape"] = shape, ["mode"] = "attention", ["dtype"] = o.DType, ["batch"] = o.Batch, ["seq"] = o.Seq,
            ["threads"] = o.Threads, ["sdpa_ms"] = Math.Round(sdpa * 1000, 3), ["explicit_ms"] = Math.Round(explicitAttention * 1000, 3),
            ["max_abs_diff"] = maxDiff, ["seq_per_s"] = 0.0, ["peak_rss_mb"] = Measure.PeakRssMb(),
        };
    }
}
