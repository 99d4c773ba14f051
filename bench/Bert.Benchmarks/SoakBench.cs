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
        var config = ModelBench.Config(shape);
        var (model, optimizer) = ModelBench.TrainingSetup(config, o, decaySteps: o.Steps);
        using var disposeModel = model;
        using var disposeOptimizer = optimizer;
        var g = new Generator(0);
        var random = new Random(0);
        var samples = new List<double>();
        var heap = new List<string>();
        var managed = new List<double>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int step = 1; step <= o.Steps; step++)
        {
            using (var scope = NewDisposeScope())
            {
                long length = random.Next(o.MinSeq, o.Seq + 1);
                if (o.PadMultiple > 1) length = Math.Min(o.Seq, (length + o.PadMultiple - 1) / o.PadMultiple * o.PadMultiple);
                var ids = randint(0, config.VocabSize, new long[] { o.Batch, length }, generator: g);
                var mask = ones_like(ids);
                var labels = randint(0, 4, new long[] { o.Batch }, generator: g);
                model.Loss(model.forward(ids, zeros_like(ids), mask), labels).backward();
                optimizer.Step();
                optimizer.ZeroGrad();
            }
            if (step % Math.Max(1, o.Steps / 10) == 0)
            {
                samples.Add(Measure.RssMb());
                var (used, free, mapped) = Measure.MallocMb();
                heap.Add($"{used:F0}/{free:F0}/{mapped:F0}");
                managed.Add(Math.Round(GC.GetTotalMemory(false) / 1048576.0, 1));
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;
        return new Dictionary<string, object>
        {
            ["impl"] = "bert.net", ["shape"] = shape, ["mode"] = "soak", ["dtype"] = "fp32", ["batch"] = o.Batch, ["seq"] = o.Seq,
            ["threads"] = o.Threads, ["steps"] = o.Steps, ["min_seq"] = o.MinSeq, ["pad_multiple"] = o.PadMultiple, ["kernel"] = o.Kernel.ToString(), ["seconds"] = Math.Round(seconds, 1),
            ["rss_mb_every_tenth"] = samples,
            ["malloc_used_free_mmapped_mb_every_tenth"] = heap,
            ["managed_mb_every_tenth"] = managed,
            ["rss_growth_mb_after_first_tenth"] = samples.Count > 1 ? Math.Round(samples[^1] - samples[0], 1) : 0.0,
            ["seq_per_s"] = Math.Round(o.Steps * (double)o.Batch / seconds, 2), ["peak_rss_mb"] = Measure.PeakRssMb(),
        };
    }
}
