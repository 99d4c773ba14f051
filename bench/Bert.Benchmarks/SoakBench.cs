using Bert.Classification;
using Bert.Core;
using Bert.Core.Modeling;
using Bert.Core.Optimization;
using static TorchSharp.torch;

namespace Bert.Benchmarks;

/// <summary>
/// Memory over a long run: <c>--steps</c> training steps (forward, backward, AdamWarmup) on batches whose length
/// changes every step (uniform in 8..seq, as dynamic padding gives), with the resident set sampled ten times.
/// Flat means the last sample is within a few MB of the one at 10% of the run.
/// </summary>
internal static class SoakBench
{
    public static Dictionary<string, object> Run(string shape, BenchOptions o)
    {
        TorchRuntime.EnsureAvailable();
        set_num_threads(o.Threads);
        manual_seed(0);
        var config = ModelBench.Config(shape);
        using var model = new BertForSequenceClassification(new BertModel(config), 4);
        model.train();
        using var optimizer = new AdamWarmup(model.named_parameters().Select(p => (p.name, p.parameter)), new AdamWarmupOptions
        {
            LearningRate = 1e-4, WarmupSteps = 10, DecaySteps = o.Steps, WeightDecayExclusions = AdamWarmupOptions.BertNoDecay,
        });
        var g = new Generator(0);
        var random = new Random(0);
        var samples = new List<double>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int step = 1; step <= o.Steps; step++)
        {
            using (var scope = NewDisposeScope())
            {
                long length = random.Next(8, o.Seq + 1);
                var ids = randint(0, config.VocabSize, new long[] { o.Batch, length }, generator: g);
                var mask = ones_like(ids);
                var labels = randint(0, 4, new long[] { o.Batch }, generator: g);
                model.Loss(model.forward(ids, zeros_like(ids), mask), labels).backward();
                optimizer.Step();
                optimizer.ZeroGrad();
            }
            if (step % Math.Max(1, o.Steps / 10) == 0) samples.Add(Measure.RssMb());
        }
        double seconds = clock.Elapsed.TotalSeconds;
        return new Dictionary<string, object>
        {
            ["impl"] = "bert.net", ["shape"] = shape, ["mode"] = "soak", ["dtype"] = "fp32", ["batch"] = o.Batch, ["seq"] = o.Seq,
            ["threads"] = o.Threads, ["steps"] = o.Steps, ["seconds"] = Math.Round(seconds, 1),
            ["rss_mb_every_tenth"] = samples,
            ["rss_growth_mb_after_first_tenth"] = samples.Count > 1 ? Math.Round(samples[^1] - samples[0], 1) : 0.0,
            ["seq_per_s"] = Math.Round(o.Steps * (double)o.Batch / seconds, 2), ["peak_rss_mb"] = Measure.PeakRssMb(),
        };
    }
}
