using System.Diagnostics;
using Bert.Core;
using Bert.Core.Modeling;
using Bert.Core.Training;
using static TorchSharp.torch;

namespace Bert.Benchmarks;

/// <summary>
/// The real workload: one fine-tuning epoch (<c>knbc-epoch</c>) or one inference pass (<c>knbc-infer</c>) over all
/// KNBC sentences with their real token ids (<c>spm_encode</c> of wiki-ja, [CLS] … [SEP]), batch 16, dynamic padding
/// to a multiple of 8 and length bucketing as <c>ClassificationTrainer</c> does them. The batches are made by a fixed
/// rule that <c>bench/pytorch_reference.py</c> repeats exactly, so both sides do the same work:
/// sentence i goes to position (i × 7919) mod n (a permutation: 7919 is a prime not dividing n), windows of 50
/// batches are sorted by (length, index) and cut into batches; inference sorts all sentences longest first, as
/// <c>ClassificationTrainer.Evaluate</c> does.
/// </summary>
internal static class KnbcBench
{
    /// <summary>wiki-ja's [CLS], [SEP] and [PAD] ids.</summary>
    private const long Cls = 4, Sep = 5, Pad = 3;

    public static Dictionary<string, object> Run(string shape, string mode, BenchOptions o)
    {
        TorchRuntime.EnsureAvailable();
        set_num_threads(o.Threads);
        manual_seed(0);
        var sentences = ReadIds(o.KnbcIds ?? SharedData.File("models", "wiki-ja", "knbc-spm_encode-ids.tsv"));
        var config = ModelBench.Config(shape);
        var batches = mode == "knbc-epoch" ? TrainingBatches(sentences, o.Batch) : InferenceBatches(sentences, o.Batch);
        double flops = batches.Sum(b => b.Length * ModelBench.ForwardFlops(config, PaddedLength(sentences, b, o)));
        long realTokens = batches.Sum(b => b.Sum(i => (long)sentences[i].Length));
        long paddedTokens = batches.Sum(b => (long)b.Length * PaddedLength(sentences, b, o));

        double seconds;
        int streams = 1;
        if (mode == "knbc-epoch")
        {
            var (model, optimizer) = ModelBench.TrainingSetup(config, o, decaySteps: batches.Count);
            using var disposeModel = model;
            using var disposeOptimizer = optimizer;
            void Step(int[] rows)
            {
                using var scope = NewDisposeScope();
                var (ids, types, mask) = Inputs(sentences, rows, o);
                var labels = tensor(rows.Select(i => (long)(i % 4)).ToArray());
                var loss = model.Loss(model.forward(ids, types, mask), labels);
                loss.to(ScalarType.Float32).item<float>();
                loss.backward();
                optimizer.Step();
                optimizer.ZeroGrad();
            }
            foreach (var rows in batches.Take(o.Warmup * 5)) Step(rows);
            seconds = Measure.Seconds(() => { foreach (var rows in batches) Step(rows); });
            flops *= 3;
        }
        else
        {
            using var model = new BertModel(config) { PackTokens = o.PackTokens };
            BertLinear.SetKernel(model, o.Kernel);
            model.eval();
            if (o.DType == "bf16") TorchSharp.ModuleExtensionMethods.to(model, ScalarType.BFloat16);
            // The library's inference loop (TextClassifier.PredictBatch, evaluation, TextEmbedder), with its parallel
            // streams where TorchRuntime.ParallelInferenceBatches applies (Program sets it from --sequential-batches).
            streams = InferenceStreams.StreamCount(batches.Count, CPU);
            void Pass(IReadOnlyList<int[]> list) => InferenceStreams.ForEachBatch(list.Count, CPU, b =>
            {
                var (ids, types, mask) = Inputs(sentences, list[b], o);
                model.forward(ids, types, mask).PooledOutput.data<float>();
            }, CancellationToken.None);
            Pass(batches.Take(o.Warmup * 5).ToList());
            var times = new List<double>();
            for (int i = 0; i < o.Iterations; i++)
                times.Add(Measure.Seconds(() => Pass(batches)));
            seconds = Measure.Median(times);
        }
        return ModelBench.Result(shape, mode, o, sentences.Length / seconds, flops / seconds / 1e9, seconds, new Dictionary<string, object>
        {
            ["seq"] = -1,
            ["sentences"] = sentences.Length,
            ["streams"] = streams,
            ["real_tokens"] = realTokens,
            ["padded_tokens"] = paddedTokens,
            ["lengths"] = "KNBC wiki-ja spm_encode ids, bucketed, padded to a multiple of " + o.PadMultiple,
        });
    }

    private static int PaddedLength(long[][] sentences, int[] rows, BenchOptions o) =>
        BertBatch.PaddedLength(rows.Max(i => sentences[i].Length), o.PadMultiple, 512);

    private static (Tensor Ids, Tensor Types, Tensor Mask) Inputs(long[][] sentences, int[] rows, BenchOptions o)
    {
        int t = PaddedLength(sentences, rows, o);
        var ids = new long[rows.Length * t];
        var mask = new long[rows.Length * t];
        Array.Fill(ids, Pad);
        for (int r = 0; r < rows.Length; r++)
        {
            var s = sentences[rows[r]];
            s.CopyTo(ids, r * t);
            Array.Fill(mask, 1L, r * t, s.Length);
        }
        var idsTensor = tensor(ids, [rows.Length, t]);
        return (idsTensor, zeros_like(idsTensor), tensor(mask, [rows.Length, t]));
    }

    /// <summary>Each line: text, tab, space-separated ids; returns [CLS] ids [SEP] per sentence (at most 512).</summary>
    private static long[][] ReadIds(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0)
            .Select(l => l.Split('\t')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).Take(510).Prepend(Cls).Append(Sep).ToArray())
            .ToArray();

    private static List<int[]> TrainingBatches(long[][] sentences, int batch)
    {
        int n = sentences.Length;
        var order = Enumerable.Range(0, n).Select(i => (int)((long)i * 7919 % n)).ToArray();
        if (order.Distinct().Count() != n) throw new InvalidOperationException($"7919 divides {n}: pick another prime");
        var batches = new List<int[]>();
        for (int w = 0; w < n; w += batch * 50)
        {
            var window = order.Skip(w).Take(batch * 50).OrderBy(i => sentences[i].Length).ThenBy(i => i).ToArray();
            for (int s = 0; s < window.Length; s += batch) batches.Add(window.Skip(s).Take(batch).ToArray());
        }
        return batches;
    }

    private static List<int[]> InferenceBatches(long[][] sentences, int batch)
    {
        var order = Enumerable.Range(0, sentences.Length).OrderByDescending(i => sentences[i].Length).ThenBy(i => i).ToArray();
        return Enumerable.Range(0, (order.Length + batch - 1) / batch).Select(b => order.Skip(b * batch).Take(batch).ToArray()).ToList();
    }
}
