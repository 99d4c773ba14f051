using Bert.Tokenization;
using Microsoft.ML.OnnxRuntime;

namespace Bert.Serving;

/// <summary>
/// One ONNX Runtime session of an exported BERT graph (inputs <c>input_ids</c>, <c>attention_mask</c>,
/// <c>token_type_ids</c>) and the batching shared by the classifier and the embedder: encode, sort by length, pad each
/// batch to its longest, run, and put the rows back in input order. <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/>
/// is thread-safe, so one instance serves concurrent callers.
/// </summary>
internal sealed class OnnxBertSession : IDisposable
{
    private static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];
    private readonly InferenceSession session;
    private readonly string[] outputNames;

    public OnnxBertSession(string modelPath, string outputName, int intraOpThreads)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = intraOpThreads };
        try
        {
            // A model of a saved folder is parsed from the bytes its snapshot verified (ONNX Runtime would reopen the path).
            session = SaveSnapshot.VerifiedBytes(modelPath, MaxModelBytes, "ONNX model") is { } verified
                ? new InferenceSession(verified, options)
                : new InferenceSession(modelPath, options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidDataException($"ONNX Runtime cannot load {modelPath}: {ex.Message}", ex);
        }
        foreach (var input in InputNames)
        {
            if (!session.InputMetadata.ContainsKey(input))
                throw new InvalidDataException($"{modelPath} has no input '{input}' (inputs: {string.Join(", ", session.InputMetadata.Keys)}); it was not exported by Bert.NET.");
        }
        if (!session.OutputMetadata.TryGetValue(outputName, out var output))
            throw new InvalidDataException($"{modelPath} has no output '{outputName}' (outputs: {string.Join(", ", session.OutputMetadata.Keys)}).");
        OutputWidth = output.Dimensions[^1];
        outputNames = [outputName];
        // Written by Bert.NET's exporter since the position check (older exports have none: nothing to check against).
        if (session.ModelMetadata.CustomMetadataMap.TryGetValue(MaxPositionsKey, out var positions))
        {
            MaxPositions = int.TryParse(positions, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int p) && p > 0 ? p
                : throw new InvalidDataException($"{modelPath}: the metadata '{MaxPositionsKey}' is '{positions}'; expected a positive whole number.");
        }
    }

    /// <summary>The largest ONNX model read into memory: 2 GiB, protobuf's limit for one file (the exporter writes no external data).</summary>
    private const long MaxModelBytes = int.MaxValue;

    /// <summary>The model metadata key holding the position count (Bert.Core's <c>OnnxExport.MaxPositionsMetadataKey</c>).</summary>
    public const string MaxPositionsKey = "max_position_embeddings";

    /// <summary>The size of the output's last axis (labels or embedding width).</summary>
    public int OutputWidth { get; }

    /// <summary>The longest input the graph accepts (<c>max_position_embeddings</c>), when the export recorded it.</summary>
    public int? MaxPositions { get; }

    /// <summary>
    /// Runs every input through the model, longest first in batches of <paramref name="batchSize"/>, and returns the
    /// output rows in input order.
    /// </summary>
    public float[][] Run(IReadOnlyList<EncodedInput> inputs, int padId, int batchSize, CancellationToken cancellationToken)
    {
        var order = Enumerable.Range(0, inputs.Count).OrderByDescending(i => inputs[i].Length).ToArray();
        var rows = new float[inputs.Count][];
        using var runOptions = new RunOptions();
        for (int start = 0; start < order.Length; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var members = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
            var batch = PaddedBatch.Create([.. members.Select(i => inputs[i])], padId);
            long[] shape = [batch.BatchSize, batch.SequenceLength];
            using var ids = OrtValue.CreateTensorValueFromMemory(batch.InputIds, shape);
            using var mask = OrtValue.CreateTensorValueFromMemory(batch.AttentionMask, shape);
            using var types = OrtValue.CreateTensorValueFromMemory(batch.TokenTypeIds, shape);
            using var results = session.Run(runOptions, InputNames, [ids, mask, types], outputNames);
            var values = results[0].GetTensorDataAsSpan<float>();
            for (int r = 0; r < members.Length; r++)
                rows[members[r]] = values.Slice(r * OutputWidth, OutputWidth).ToArray();
        }
        return rows;
    }

    public void Dispose() => session.Dispose();
}
