using Bert.Classification;
using Bert.Classification.Onnx;
using Bert.Core;
using Bert.Core.Modeling;
using Bert.Core.Onnx;
using Bert.Serving;
using Bert.Tokenization;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Bert.Benchmarks;

/// <summary>
/// ONNX Runtime on the exported graph against Bert.NET on TorchSharp, same weights and inputs: <c>onnx</c> mode times
/// the bare model (seq_per_s: TorchSharp; ort_seq_per_s: ONNX Runtime on the default opset-12 export, where it fuses
/// attention; ort_opset17_seq_per_s: the opset-17 export, where it does not), <c>serve</c> mode times whole predictions
/// (tokenizer included) of TextClassifier against Bert.Serving's OnnxTextClassifier on KNBC sentences.
/// </summary>
internal static class OnnxBench
{
    public static Dictionary<string, object> Model(string shape, BenchOptions o)
    {
        TorchRuntime.EnsureAvailable();
        set_num_threads(o.Threads);
        manual_seed(0);
        var config = ModelBench.Config(shape);
        using var model = new BertModel(config);
        BertLinear.SetKernel(model, o.Kernel);
        model.eval();
        var g = new Generator(0);
        using var ids = randint(0, config.VocabSize, [o.Batch, o.Seq], generator: g);
        using var types = zeros_like(ids);
        using var mask = ones_like(ids);

        var torchTimes = new List<double>();
        using (no_grad())
        {
            for (int i = 0; i < o.Warmup + o.Iterations; i++)
            {
                double s = Measure.Seconds(() => { using var scope = NewDisposeScope(); model.forward(ids, types, mask); });
                if (i >= o.Warmup) torchTimes.Add(s);
            }
        }
        double torchSeconds = Measure.Median(torchTimes);
        double ort12 = OrtSeconds(model, OnnxExportOptions.DefaultOpset, ids, types, mask, o);
        double ort17 = OrtSeconds(model, 17, ids, types, mask, o);
        return ModelBench.Result(shape, "onnx", o, o.Batch / torchSeconds, o.Batch * ModelBench.ForwardFlops(config, o.Seq) / torchSeconds / 1e9, torchSeconds,
            new Dictionary<string, object>
            {
                ["ort_seq_per_s"] = Math.Round(o.Batch / ort12, 2),
                ["ort_opset17_seq_per_s"] = Math.Round(o.Batch / ort17, 2),
                ["ort_opset"] = OnnxExportOptions.DefaultOpset,
                ["weights"] = "random (speed does not depend on the values)",
            });
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
            double torchSeconds = Median(o, () => classifier.PredictBatch(texts, o.Batch));
            double ortSeconds = Median(o, () => served.PredictBatch(texts, batchSize: o.Batch));
            return ModelBench.Result(shape, "serve", o, texts.Length / torchSeconds, 0, torchSeconds, new Dictionary<string, object>
            {
                ["texts"] = texts.Length,
                ["ort_seq_per_s"] = Math.Round(texts.Length / ortSeconds, 2),
                ["what"] = "TextClassifier.PredictBatch vs OnnxTextClassifier.PredictBatch, tokenization included, KNBC sentences",
            });
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static double OrtSeconds(BertModel model, int opset, Tensor ids, Tensor types, Tensor mask, BenchOptions o)
    {
        using var stream = new MemoryStream();
        OnnxExport.ExportModel(model, stream, new OnnxExportOptions { Opset = opset });
        using var options = new SessionOptions { IntraOpNumThreads = o.Threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(stream.ToArray(), options);
        long[] shape = [.. ids.shape];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids.data<long>().ToArray(), shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask.data<long>().ToArray(), shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(types.data<long>().ToArray(), shape);
        using var runOptions = new RunOptions();
        return Median(o, () =>
        {
            using var results = session.Run(runOptions, [OnnxExport.InputIds, OnnxExport.AttentionMask, OnnxExport.TokenTypeIds], [idsValue, maskValue, typesValue], [OnnxExport.PoolerOutput]);
        });
    }

    private static double Median(BenchOptions o, Action action)
    {
        var times = new List<double>();
        for (int i = 0; i < o.Warmup + o.Iterations; i++)
        {
            double s = Measure.Seconds(action);
            if (i >= o.Warmup) times.Add(s);
        }
        return Measure.Median(times);
    }
}
