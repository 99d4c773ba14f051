using TorchSharp;

namespace Bert.Core.Checkpoints;

/// <summary>One-call writers of TensorFlow checkpoints (see <see cref="TensorBundleWriter"/>).</summary>
public static class TensorFlowCheckpointWriter
{
    /// <summary>
    /// Writes <paramref name="tensors"/> under their own names to <c>prefix.index</c> + <c>prefix.data-*</c>, in the
    /// given order, atomically.
    /// </summary>
    public static void Write(string prefix, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors,
        TensorBundleWriterOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        using var writer = new TensorBundleWriter(prefix, options);
        foreach (var (name, tensor) in tensors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            writer.Add(name, tensor);
        }
        writer.Finish();
    }

    /// <summary>
    /// Writes a Hugging Face-named BERT state dict (<c>encoder.layer.0.attention.self.query.weight</c>, ...) as a
    /// Google-style checkpoint: names mapped by <see cref="BertCheckpointNameMap.TryToTensorFlow"/>, dense weights
    /// transposed back to TensorFlow kernels, float32 kept, and an int64 <c>global_step</c> scalar when
    /// <paramref name="globalStep"/> is given. Returns the keys that have no TensorFlow name and were not written
    /// (<c>embeddings.position_ids</c>, the tied decoder weight, ...).
    /// </summary>
    public static IReadOnlyList<string> WriteBertStateDict(string prefix, IEnumerable<KeyValuePair<string, torch.Tensor>> stateDict,
        long? globalStep = null, TensorBundleWriterOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var skipped = new List<string>();
        using var writer = new TensorBundleWriter(prefix, options);
        foreach (var (key, tensor) in stateDict)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (BertCheckpointNameMap.TryToTensorFlow(key) is not { } map)
            {
                skipped.Add(key);
                continue;
            }
            if (map.Transpose)
            {
                if (tensor.dim() != 2)
                    throw new ArgumentException($"'{key}' should be a 2-D Linear weight but has shape [{string.Join(", ", tensor.shape)}]", nameof(stateDict));
                using var kernel = tensor.t();
                writer.Add(map.Name, kernel);
            }
            else
            {
                writer.Add(map.Name, tensor);
            }
        }
        if (globalStep is long step)
            writer.Add("global_step", TensorFlowDType.Int64, [], BitConverter.GetBytes(step));
        writer.Finish();
        return skipped;
    }
}
