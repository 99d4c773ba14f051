using static TorchSharp.torch;

namespace Bert.Core.Checkpoints;

/// <summary>Tensors read from a checkpoint under Hugging Face names, where each came from, and what was skipped.</summary>
internal sealed class CheckpointContents : IDisposable
{
    public CheckpointContents(string format) => Format = format;

    public string Format { get; }

    /// <summary>Hugging Face name (no <c>bert.</c> prefix) -> tensor.</summary>
    public Dictionary<string, Tensor> Tensors { get; } = new(StringComparer.Ordinal);

    /// <summary>Hugging Face name -> the name (and file) it has in the checkpoint, for messages.</summary>
    public Dictionary<string, string> Origins { get; } = new(StringComparer.Ordinal);

    public List<CheckpointTensorRecord> Skipped { get; } = [];

    public void Add(string name, Tensor tensor, string origin)
    {
        if (Tensors.Remove(name, out var previous))
        {
            previous.Dispose();
            tensor.Dispose();
            throw new InvalidDataException($"The checkpoint holds '{name}' twice (second as {origin}, first as {Origins[name]})");
        }
        Tensors[name] = tensor;
        Origins[name] = origin;
    }

    public void Dispose()
    {
        foreach (var tensor in Tensors.Values) tensor.Dispose();
        Tensors.Clear();
    }
}
