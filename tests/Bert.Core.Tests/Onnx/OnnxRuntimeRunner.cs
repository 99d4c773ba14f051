using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Onnx;

/// <summary>Runs an exported model in ONNX Runtime on (B, T) int64 tensors and returns every output as float32 values.</summary>
internal static class OnnxRuntimeRunner
{
    public static Dictionary<string, float[]> Run(byte[] model, Tensor ids, Tensor types, Tensor mask, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_ENABLE_ALL)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = level };
        using var session = new InferenceSession(model, options);
        long[] shape = [.. ids.shape];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids.data<long>().ToArray(), shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask.data<long>().ToArray(), shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(types.data<long>().ToArray(), shape);
        var names = session.OutputMetadata.Keys.ToArray();
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], [idsValue, maskValue, typesValue], names);
        return names.Zip(results).ToDictionary(p => p.First, p => p.Second.GetTensorDataAsSpan<float>().ToArray());
    }

    /// <summary>The operator types of the graph ONNX Runtime runs after its optimisations (written through OptimizedModelFilePath).</summary>
    public static Dictionary<string, int> OptimizedOperators(byte[] model, string folder)
    {
        string optimized = Path.Combine(folder, "optimized.onnx");
        using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, OptimizedModelFilePath = optimized })
        using (new InferenceSession(model, options))
        {
        }
        return Modeling.OnnxInitializers.Parse(File.ReadAllBytes(optimized)).Nodes
            .GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
    }

    public static double MaxAbsDiff(float[] expected, float[] actual)
    {
        actual.Length.Should().Be(expected.Length);
        double max = 0;
        for (int i = 0; i < expected.Length; i++) max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        return max;
    }
}
