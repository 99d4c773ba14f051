// Bert.Benchmarks: speed and memory of Bert.NET, printed as JSON (one object per case, then a summary table).
//   dotnet run --project bench/Bert.Benchmarks -c Release -- --shape small --mode train --batch 16 --seq 128 --threads 2
// The last line is always the JSON of the last case, with shape, mode, dtype, batch, seq, threads, seq_per_s
// (median over iterations after warm-up), peak_rss_mb, cpu (model name) and isa (avx2/avx512/avx512_bf16). bench/pytorch_reference.py measures PyTorch the same way.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Bert.Benchmarks;

var options = BenchOptions.Parse(args);
if (options is null) return 2;
// As an application would (see TorchRuntime.RetainFreedTensorMemory); --system-malloc measures glibc's defaults.
bool retained = !options.SystemMalloc && Bert.Core.TorchRuntime.RetainFreedTensorMemory();
// As an application would (see TorchRuntime.UseMklAvx2KernelsOnAmd); --mkl-vendor-check measures MKL's default paths.
bool mklAvx2 = !options.MklVendorCheck && Bert.Core.TorchRuntime.UseMklAvx2KernelsOnAmd();
// As the library runs by default (see TorchRuntime.ParallelInferenceBatches); --sequential-batches runs batches one
// after another (knbc-infer, the onnx mode's KNBC mix, serve).
Bert.Core.TorchRuntime.ParallelInferenceBatches = !options.SequentialBatches;
var results = new List<Dictionary<string, object>>();
foreach (var shape in options.Shapes)
{
    foreach (var mode in options.Modes)
    {
        if (mode == "onnx")
        {
            foreach (var r in OnnxBench.Model(options)) Emit(r);
            continue;
        }
        var result = mode switch
        {
            "infer" => ModelBench.Inference(shape, options),
            "train" => ModelBench.Training(shape, options),
            "knbc-epoch" or "knbc-infer" => KnbcBench.Run(shape, mode, options),
            "soak" => SoakBench.Run(shape, options),
            "indexer" => IndexerBench.Run(options),
            "segment" => SegmentBench.Run(options),
            "attention" => AttentionBench.Run(shape, options),
            "ops" => OpsBench.Run(shape, options),
            "serve" => OnnxBench.Serve(shape, options),
            _ => throw new ArgumentException($"unknown mode {mode}"),
        };
        Emit(result);
    }
}

void Emit(Dictionary<string, object> result)
{
    result["retain_freed_memory"] = retained;
    result["mkl_avx2_on_amd"] = mklAvx2;
    result["cpu"] = Bert.Core.CpuCapabilities.ModelName;
    result["isa"] = Bert.Core.CpuCapabilities.Isa;
    // libgomp's idle threads spin a while before sleeping unless PASSIVE; an application gets the default (unset).
    result["omp_wait_policy"] = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "unset";
    results.Add(result);
    Console.WriteLine(JsonSerializer.Serialize(result));
}
Console.Error.WriteLine();
Console.Error.WriteLine($"{"shape",-6} {"mode",-8} {"dtype",-5} {"batch",5} {"seq",5} {"seq/s",9} {"GFLOP/s",8} {"peak MB",8}");
foreach (var r in results)
{
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{r["shape"],-6} {r["mode"],-8} {r["dtype"],-5} {r["batch"],5} {r["seq"],5} {Convert.ToDouble(r["seq_per_s"], CultureInfo.InvariantCulture),9:F2} {Convert.ToDouble(r.GetValueOrDefault("gflops", 0.0), CultureInfo.InvariantCulture),8:F1} {r["peak_rss_mb"],8}"));
}
if (results.Count > 1) Console.WriteLine(JsonSerializer.Serialize(results[^1]));
return 0;
