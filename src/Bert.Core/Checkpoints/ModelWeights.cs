using static TorchSharp.torch;

namespace Bert.Core.Checkpoints;

/// <summary>
/// The weights a Hugging Face save writes, checked before anything is written: a disposed module has no tensors
/// left, and writing its empty <c>state_dict()</c> would replace a good <c>model.safetensors</c> with a 40-byte file
/// that holds none. Used by every caller of the Hugging Face folder writer.
/// </summary>
internal static class ModelWeights
{
    /// <summary>The module's state dict, materialised.</summary>
    /// <param name="module">The model to save.</param>
    /// <param name="what">What it is, for the message ("the classifier").</param>
    /// <exception cref="InvalidOperationException">The module has no tensors (it was disposed), or one of them was released.</exception>
    public static IReadOnlyList<KeyValuePair<string, Tensor>> ToSave(nn.Module module, string what)
    {
        ArgumentNullException.ThrowIfNull(module);
        var weights = module.state_dict().ToList();
        if (weights.Count == 0)
            throw new InvalidOperationException($"{what} has no tensors to save (was it disposed?); nothing was written.");
        foreach (var (name, tensor) in weights)
        {
            if (tensor is null || tensor.IsInvalid)
                throw new InvalidOperationException($"{what}'s tensor '{name}' was released (was the model disposed?); nothing was written.");
        }
        return weights;
    }
}
