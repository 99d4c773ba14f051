using System.Diagnostics;
using Bert.Core.Optimization;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Optimization;

/// <summary>
/// One <see cref="AdamWarmup.Step"/> on BERT-base-sized parameters (201 tensors, 110.6M floats), the C# side of
/// TestData/optim/pytorch_adamw_step_benchmark.py (torch.optim.AdamW, same shapes, same threads).
/// </summary>
public class AdamWarmupBenchmarks
{
    private readonly ITestOutputHelper _output;

    public AdamWarmupBenchmarks(ITestOutputHelper output)
    {
        _output = output;
        TorchRuntime.EnsureAvailable();
    }

    /// <summary>The parameters of BERT-base with a 32000-piece vocabulary and a 4-class head, named as in Hugging Face.</summary>
    internal static List<(string Name, long[] Shape)> BertBaseShapes(int vocab = 32000, int hidden = 768, int layers = 12, int intermediate = 3072)
    {
        var shapes = new List<(string, long[])>
        {
            ("embeddings.word_embeddings.weight", new long[] { vocab, hidden }),
            ("embeddings.position_embeddings.weight", new long[] { 512, hidden }),
            ("embeddings.token_type_embeddings.weight", new long[] { 2, hidden }),
            ("embeddings.LayerNorm.weight", new long[] { hidden }),
            ("embeddings.LayerNorm.bias", new long[] { hidden }),
        };
        for (var l = 0; l < layers; l++)
        {
            var prefix = $"encoder.layer.{l}.";
            foreach (var name in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
            {
                shapes.Add((prefix + name + ".weight", new long[] { hidden, hidden }));
                shapes.Add((prefix + name + ".bias", new long[] { hidden }));
            }
            shapes.Add((prefix + "attention.output.LayerNorm.weight", new long[] { hidden }));
            shapes.Add((prefix + "attention.output.LayerNorm.bias", new long[] { hidden }));
            shapes.Add((prefix + "intermediate.dense.weight", new long[] { intermediate, hidden }));
            shapes.Add((prefix + "intermediate.dense.bias", new long[] { intermediate }));
            shapes.Add((prefix + "output.dense.weight", new long[] { hidden, intermediate }));
            shapes.Add((prefix + "output.dense.bias", new long[] { hidden }));
            shapes.Add((prefix + "output.LayerNorm.weight", new long[] { hidden }));
            shapes.Add((prefix + "output.LayerNorm.bias", new long[] { hidden }));
        }
        shapes.Add(("pooler.dense.weight", new long[] { hidden, hidden }));
        shapes.Add(("pooler.dense.bias", new long[] { hidden }));
        shapes.Add(("classifier.weight", new long[] { 4, hidden }));
        shapes.Add(("classifier.bias", new long[] { 4 }));
        return shapes;
    }

    [BenchmarkFact]
    public void Step_time_on_BERT_base_shapes()
    {
        torch.set_num_threads(2);
        torch.manual_seed(0);
        var shapes = BertBaseShapes();
        var named = new List<(string Name, Parameter p)>();
        foreach (var (name, shape) in shapes)
        {
            using var scope = NewDisposeScope();
            var p = new Parameter(randn(shape).mul_(0.02f));
            p.DetachFromDisposeScope();
            p.grad = randn(shape).mul_(1e-3f);
            named.Add((name, p));
        }
        var options = new AdamWarmupOptions { LearningRate = 1e-4, WarmupSteps = 100, DecaySteps = 1000, WeightDecay = 0.01 };

        // A matrix product before each step, as the backward pass before a real step: libtorch's OpenMP threads are
        // then busy or spinning when the step starts.
        using var a = randn(1024, 1024);
        foreach (var (clip, afterMatmul) in new (double?, bool)[] { (null, false), (1.0, false), (null, true) })
        {
            options.MaxGradNorm = clip;
            foreach (var tensorOperations in new[] { false, true })
            {
                using var optimizer = new AdamWarmup(named, options) { UseTensorOperations = tensorOperations };
                optimizer.Step();
                var times = new List<double>();
                var rssBefore = Process.GetCurrentProcess().WorkingSet64;
                var tensorsBefore = torch.Tensor.TotalCount;
                for (var i = 0; i < 15; i++)
                {
                    if (afterMatmul)
                    {
                        using var product = a.mm(a);
                    }
                    var watch = Stopwatch.StartNew();
                    optimizer.Step();
                    times.Add(watch.Elapsed.TotalSeconds);
                }
                times.Sort();
                _output.WriteLine(
                    $"{{\"impl\": \"AdamWarmup\", \"path\": \"{(tensorOperations ? "tensor operations" : "fused kernel")}\", \"clip\": {(clip is null ? "null" : clip)}, \"after_matmul\": {(afterMatmul ? "true" : "false")}, " +
                    $"\"threads\": {torch.get_num_threads()}, \"tensors\": {named.Count}, \"elements\": {named.Sum(x => x.p.numel())}, " +
                    $"\"decay\": \"{optimizer.DecayTensorCount} tensors / {optimizer.DecayElementCount} elements\", " +
                    $"\"no_decay\": \"{optimizer.NoDecayTensorCount} tensors / {optimizer.NoDecayElementCount} elements\", " +
                    $"\"median_s\": {times[times.Count / 2]:F4}, \"min_s\": {times[0]:F4}, " +
                    $"\"rss_growth_mb\": {(Process.GetCurrentProcess().WorkingSet64 - rssBefore) / 1e6:F1}, \"live_tensor_growth\": {torch.Tensor.TotalCount - tensorsBefore}}}");
            }
        }
        foreach (var (_, p) in named) p.Dispose();
    }
}
