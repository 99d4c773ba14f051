using System.Diagnostics;
using Bert.Classification;
using Bert.Core;
using Bert.Core.Modeling;
using Bert.Core.Optimization;
using Bert.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Benchmarks;

/// <summary>Inference and training-step throughput of BertModel / BertForSequenceClassification.</summary>
internal static class ModelBench
{
    public static BertConfig Config(string shape) => shape switch
    {
        "tiny" => new BertConfig { VocabSize = 15, HiddenSize = 4, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 16, MaxPositionEmbeddings = 512 },
        "small" => new BertConfig { VocabSize = 32000, HiddenSize = 256, NumHiddenLayers = 4, NumAttentionHeads = 4, IntermediateSize = 1024, MaxPositionEmbeddings = 512 },
        "minilm" => new BertConfig { VocabSize = 30522, HiddenSize = 384, NumHiddenLayers = 6, NumAttentionHeads = 12, IntermediateSize = 1536, MaxPositionEmbeddings = 512 },
        "base" => new BertConfig { VocabSize = 32000, HiddenSize = 768, NumHiddenLayers = 12, NumAttentionHeads = 12, IntermediateSize = 3072, MaxPositionEmbeddings = 512 },
        _ => throw new ArgumentException($"unknown shape {shape}: tiny, small, minilm (all-MiniLM-L6-v2's shape) or base"),
    };

    /// <summary>Forward FLOPs of one sequence of length t (matrix products only).</summary>
    public static double ForwardFlops(BertConfig c, int t) =>
        c.NumHiddenLayers * (8.0 * t * c.HiddenSize * c.HiddenSize + 4.0 * t * c.HiddenSize * c.IntermediateSize + 4.0 * t * t * c.HiddenSize);

    private static List<long[]> Batches(BenchOptions o, BertConfig c, Random random)
    {
        // Fixed shapes: one (batch, seq) batch. KNBC mix: real lengths, bucketed, each batch padded to its longest.
        if (o.LengthsFrom is null) return new List<long[]> { Enumerable.Repeat((long)o.Seq, o.Batch).ToArray() };
        var lengths = File.ReadLines(o.LengthsFrom).Select(l => (long)l.Split('\t')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Length + 2).ToArray();
        random.Shuffle(lengths);
        var batches = new List<long[]>();
        for (int w = 0; w < lengths.Length; w += o.Batch * 50)
        {
            var window = lengths.Skip(w).Take(o.Batch * 50).OrderBy(x => x).ToArray();
            for (int s = 0; s < window.Length; s += o.Batch) batches.Add(window.Skip(s).Take(o.Batch).ToArray());
        }
        return batches;
    }

    private static (Tensor Ids, Tensor Types, Tensor Mask) Inputs(long[] lengths, BertConfig c, Generator g, BenchOptions o)
    {
        // Fixed shapes: exactly seq. KNBC lengths: padded like the trainer (BertBatch.PaddedLength).
        long t = o.LengthsFrom is null ? lengths.Max() : BertBatch.PaddedLength((int)lengths.Max(), o.PadMultiple, c.MaxPositionEmbeddings);
        var ids = randint(0, c.VocabSize, new long[] { lengths.Length, t }, generator: g);
        var mask = zeros(lengths.Length, t, ScalarType.Int64);
        for (int r = 0; r < lengths.Length; r++) mask[r].slice(0, 0, lengths[r], 1).fill_(1);
        return (ids, zeros_like(ids), mask);
    }

    public static Dictionary<string, object> Inference(string shape, BenchOptions o)
    {
        TorchRuntime.EnsureAvailable();
        set_num_threads(o.Threads);
        manual_seed(0);
        var config = Config(shape);
        using var model = new BertModel(config) { PackTokens = o.PackTokens };
        BertLinear.SetKernel(model, o.Kernel);
        model.eval();
        if (o.DType == "bf16") model.to(ScalarType.BFloat16);
        var g = new Generator(0);
        var random = new Random(0);
        var batches = Batches(o, config, random);
        var times = new List<double>();
        double flops = 0;
        long sequences = 0;
        using (no_grad())
        {
            for (int i = 0; i < o.Warmup + o.Iterations; i++)
            {
                double seconds = 0;
                foreach (var lengths in batches)
                {
                    using var scope = NewDisposeScope();
                    var (ids, types, mask) = Inputs(lengths, config, g, o);
                    seconds += Measure.Seconds(() => { using var inner = NewDisposeScope(); model.forward(ids, types, mask); });
                    if (i >= o.Warmup && i == o.Warmup) { flops += lengths.Length * ForwardFlops(config, (int)ids.shape[1]); sequences += lengths.Length; }
                }
                if (i >= o.Warmup) times.Add(seconds);
            }
        }
        double median = Measure.Median(times);
        return Result(shape, "infer", o, sequences / median, flops / median / 1e9, median, null);
    }

    public static Dictionary<string, object> Training(string shape, BenchOptions o)
    {
        var config = Config(shape);
        var (model, optimizer) = TrainingSetup(config, o, decaySteps: 1000);
        using var disposeModel = model;
        using var disposeOptimizer = optimizer;
        var g = new Generator(0);
        var batches = Batches(o, config, new Random(0));
        var total = new List<double>();
        var fwd = new List<double>();
        var bwd = new List<double>();
        var opt = new List<double>();
        double flops = 0;
        long sequences = 0;
        for (int i = 0; i < o.Warmup + o.Iterations; i++)
        {
            double f = 0, b = 0, s = 0;
            foreach (var lengths in batches)
            {
                using var scope = NewDisposeScope();
                var (ids, types, mask) = Inputs(lengths, config, g, o);
                var labels = randint(0, 4, new long[] { lengths.Length }, generator: g);
                var clock = Stopwatch.StartNew();
                var loss = model.Loss(model.forward(ids, types, mask), labels);
                loss.item<float>();
                f += clock.Elapsed.TotalSeconds;
                clock.Restart();
                loss.backward();
                b += clock.Elapsed.TotalSeconds;
                clock.Restart();
                optimizer.Step();
                optimizer.ZeroGrad();
                s += clock.Elapsed.TotalSeconds;
                if (i == o.Warmup) { flops += 3 * lengths.Length * ForwardFlops(config, (int)ids.shape[1]); sequences += lengths.Length; }
            }
            if (i >= o.Warmup) { total.Add(f + b + s); fwd.Add(f); bwd.Add(b); opt.Add(s); }
        }
        double median = Measure.Median(total);
        return Result(shape, "train", o, sequences / median, flops / median / 1e9, median,
            new Dictionary<string, object> { ["forward_s"] = Measure.Median(fwd), ["backward_s"] = Measure.Median(bwd), ["optimizer_s"] = Measure.Median(opt) });
    }

    /// <summary>
    /// The training cases' set-up (train, knbc-epoch and soak modes): threads, seed 0, a 4-class classifier on a random-init
    /// BertModel in train mode with the chosen linear kernel (bf16: mixed precision), and AdamWarmup with BERT's no-decay preset.
    /// </summary>
    public static (BertForSequenceClassification Model, AdamWarmup Optimizer) TrainingSetup(BertConfig config, BenchOptions o, int decaySteps)
    {
        TorchRuntime.EnsureAvailable();
        set_num_threads(o.Threads);
        manual_seed(0);
        var model = new BertForSequenceClassification(new BertModel(config), 4) { PackTokens = o.PackTokens };
        BertLinear.SetKernel(model, o.Kernel);
        // bf16 training is mixed precision (float32 weights and moments, bf16 products), as the PyTorch peer's autocast.
        if (o.DType == "bf16") BertLinear.SetComputeType(model, ScalarType.BFloat16);
        model.Bert.Embeddings.SparseWordGradients = true;   // as ClassificationTrainer trains
        model.train();
        var optimizer = new AdamWarmup(model.named_parameters().Select(p => (p.name, p.parameter)), new AdamWarmupOptions
        {
            LearningRate = 1e-4, WarmupSteps = 10, DecaySteps = decaySteps, WeightDecayExclusions = AdamWarmupOptions.BertNoDecay,
        });
        return (model, optimizer);
    }

    public static Dictionary<string, object> Result(string shape, string mode, BenchOptions o, double seqPerS, double gflops, double seconds, Dictionary<string, object>? extra)
    {
        var r = new Dictionary<string, object>
        {
            ["impl"] = "bert.net",
            ["shape"] = shape,
            ["mode"] = mode,
            ["dtype"] = o.DType,
            ["batch"] = o.Batch,
            ["seq"] = o.LengthsFrom is null ? o.Seq : -1,
            ["lengths"] = o.LengthsFrom is null ? "fixed" : $"knbc-bucketed, padded to a multiple of {o.PadMultiple}",
            ["threads"] = o.Threads,
            ["kernel"] = o.Kernel.ToString(),
            ["pack_tokens"] = o.PackTokens,
            ["parallel_inference_batches"] = !o.SequentialBatches,
            ["iterations"] = o.Iterations,
            ["seconds_median"] = Math.Round(seconds, 4),
            ["seq_per_s"] = Math.Round(seqPerS, 2),
            ["gflops"] = Math.Round(gflops, 1),
            ["matmul_peak_gflops"] = Math.Round(MatmulPeak(o), 1),
            ["peak_rss_mb"] = Measure.PeakRssMb(),
        };
        if (extra is not null) foreach (var (k, v) in extra) r[k] = v is double d ? Math.Round(d, 4) : v;
        return r;
    }

    private static double? peak;

    /// <summary>
    /// Measured fp32 (or bf16) matrix-product throughput through the kernel the model's projections use
    /// (BertLinear, LinearKernel.Auto): the ceiling the model runs against.
    /// </summary>
    private static double MatmulPeak(BenchOptions o)
    {
        if (peak is { } p) return p;
        var dtype = o.DType == "bf16" ? ScalarType.BFloat16 : ScalarType.Float32;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(new long[] { 2048, 1024 }).to(dtype);
        var w = randn(new long[] { 1024, 1024 }).to(dtype);
        BertLinear.Apply(x, w, null).Dispose();
        // The fastest of 11, not their median: a peak is the best the machine reached, and on a shared VM whose speed
        // drifts a median can fall below what the model's own products later reach (shares above 100%).
        var times = Enumerable.Range(0, 11).Select(_ => Measure.Seconds(() => BertLinear.Apply(x, w, null).Dispose())).ToArray();
        peak = 2.0 * 2048 * 1024 * 1024 / times.Min() / 1e9;
        return peak.Value;
    }
}
