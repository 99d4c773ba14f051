using System.Globalization;

namespace Bert.Benchmarks;

/// <summary>Command-line options of the benchmark.</summary>
internal sealed class BenchOptions
{
    public List<string> Shapes { get; } = new();
    public List<string> Modes { get; } = new();
    public int Batch { get; set; } = 16;
    public int Seq { get; set; } = 128;
    public int Threads { get; set; } = 2;
    public string DType { get; set; } = "fp32";
    public int Iterations { get; set; } = 5;
    public int Warmup { get; set; } = 2;
    public string? LengthsFrom { get; set; }
    public string? KnbcIds { get; set; }
    public string? Spm { get; set; }
    public string? MeCabDicDir { get; set; }
    public bool SystemMalloc { get; set; }
    public bool MklVendorCheck { get; set; }
    public bool PackTokens { get; set; } = true;
    public bool SequentialBatches { get; set; }
    public int Steps { get; set; } = 1000;
    public int MinSeq { get; set; } = 8;
    public int PadMultiple { get; set; } = 8;
    public Bert.Core.Modeling.LinearKernel Kernel { get; set; } = Bert.Core.Modeling.LinearKernel.Auto;

    public static BenchOptions? Parse(string[] args)
    {
        var o = new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--shape": o.Shapes.AddRange(Next().Split(',')); break;
                case "--mode": o.Modes.AddRange(Next().Split(',')); break;
                case "--batch": o.Batch = NextInt(); break;
                case "--seq": o.Seq = NextInt(); break;
                case "--threads": o.Threads = NextInt(); break;
                case "--dtype": o.DType = Next(); break;
                case "--iterations": o.Iterations = NextInt(); break;
                case "--warmup": o.Warmup = NextInt(); break;
                case "--knbc-lengths": o.LengthsFrom = Next(); break;
                case "--knbc-ids": o.KnbcIds = Next(); break;
                case "--spm": o.Spm = Next(); break;
                case "--mecab-dicdir": o.MeCabDicDir = Next(); break;
                case "--system-malloc": o.SystemMalloc = true; break;
                case "--mkl-vendor-check": o.MklVendorCheck = true; break;
                case "--no-pack": o.PackTokens = false; break;
                case "--sequential-batches": o.SequentialBatches = true; break;
                case "--steps": o.Steps = NextInt(); break;
                case "--min-seq": o.MinSeq = NextInt(); break;
                case "--pad-multiple": o.PadMultiple = NextInt(); break;
                case "--kernel": o.Kernel = Enum.Parse<Bert.Core.Modeling.LinearKernel>(Next(), ignoreCase: true); break;
                case "-h" or "--help":
                    Console.WriteLine("""
                        bench/Bert.Benchmarks: --shape tiny|small|minilm|base[,..] --mode infer|train|knbc-epoch|knbc-infer|soak|indexer|segment|attention|ops|onnx|serve[,..] --batch 16 --seq 128
                          --threads 2 [--dtype fp32|bf16] [--iterations 5] [--warmup 2]
                                                                    (bf16: inference with bf16 weights; training in mixed precision,
                                                                     float32 weights with bf16 products, as PyTorch's autocast)
                          [--knbc-lengths knbc-spm_encode-ids.tsv]  (train/infer on real KNBC lengths, dynamic padding)
                          [--knbc-ids knbc-spm_encode-ids.tsv]      (knbc-epoch/knbc-infer: all KNBC sentences' real ids; default from ../shared)
                          [--spm wiki-ja.model]                     (indexer mode: tokens/s on the KNBC sentences)
                          [--mecab-dicdir DIR]                      (segment mode: MeCab sentences/s on the KNBC sentences, and mecab's)
                          [--steps 1000] [--min-seq 8]              (soak mode: training steps of lengths min-seq..seq, RSS sampled)
                          [--pad-multiple 8]                        (soak and KNBC lengths: pad each batch to a multiple, as the trainer does)
                          [--kernel auto|gemm|onednn]               (BertLinear's kernel for infer/train/soak)
                                                                    (onnx mode: ONNX Runtime on the exported model vs TorchSharp, ort_seq_per_s;
                                                                     serve mode: OnnxTextClassifier vs TextClassifier predictions/s on KNBC,
                                                                     PredictBatch and 4 concurrent Predict callers)
                          [--no-pack]                               (BertModel.PackTokens off: per-token work on padding too)
                          [--sequential-batches]                    (knbc-infer, onnx KNBC mix, serve: no parallel streams, see TorchRuntime.ParallelInferenceBatches)
                          [--system-malloc]                         (glibc's default allocator settings, see TorchRuntime.RetainFreedTensorMemory)
                          [--mkl-vendor-check]                      (MKL's default paths on AMD, see TorchRuntime.UseMklAvx2KernelsOnAmd)
                        """);
                    return null;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        if (o.Shapes.Count == 0) o.Shapes.Add("small");
        if (o.Modes.Count == 0) o.Modes.Add("infer");
        if (o.DType is not ("fp32" or "bf16")) throw new ArgumentException("--dtype must be fp32 or bf16");
        return o;
    }
}
