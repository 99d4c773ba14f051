using static TorchSharp.torch;

namespace Bert.Benchmarks;

/// <summary>Milliseconds of the single operations a BERT layer is made of, on the given shape (to find where time goes).</summary>
internal static class OpsBench
{
    public static Dictionary<string, object> Run(string shape, BenchOptions o)
    {
        set_num_threads(o.Threads);
        var c = ModelBench.Config(shape);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(o.Batch, o.Seq, c.HiddenSize);
        var inter = randn(o.Batch, o.Seq, c.IntermediateSize);
        var w1 = randn(c.IntermediateSize, c.HiddenSize);
        var b1 = randn(c.IntermediateSize);
        var w2 = randn(c.HiddenSize, c.HiddenSize);
        var b2 = randn(c.HiddenSize);
        var g = ones(c.HiddenSize);
        double Ms(Func<Tensor> f)
        {
            for (int i = 0; i < o.Warmup + 2; i++) f().Dispose();
            return Math.Round(1000 * Measure.Median(Enumerable.Range(0, o.Iterations * 4).Select(_ => Measure.Seconds(() => f().Dispose()))), 3);
        }
        return new Dictionary<string, object>
        {
            ["impl"] = "bert.net", ["shape"] = shape, ["mode"] = "ops", ["dtype"] = "fp32", ["batch"] = o.Batch, ["seq"] = o.Seq, ["threads"] = o.Threads,
            ["linear_h_h_ms"] = Ms(() => nn.functional.linear(x, w2, b2)),
            ["linear_h_i_ms"] = Ms(() => nn.functional.linear(x, w1, b1)),
            ["gelu_ms"] = Ms(() => nn.functional.gelu(inter)),
            ["layernorm_ms"] = Ms(() => nn.functional.layer_norm(x, new long[] { c.HiddenSize }, g, b2, 1e-12)),
            ["add_ms"] = Ms(() => x + x),
            ["seq_per_s"] = 0.0, ["peak_rss_mb"] = Measure.PeakRssMb(),
        };
    }
}
