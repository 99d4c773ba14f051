using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Utils;

namespace Bert.Core.Modeling;

/// <summary>
/// What <see cref="BertModel"/> returns: the sequence output, the pooled output and, on request, every hidden state.
/// Disposing it disposes all of them.
/// </summary>
public sealed class BertModelOutput : IDisposable
{
    internal BertModelOutput(Tensor sequenceOutput, Tensor pooledOutput, IReadOnlyList<Tensor>? hiddenStates)
    {
        SequenceOutput = sequenceOutput;
        PooledOutput = pooledOutput;
        HiddenStates = hiddenStates;
    }

    /// <summary>The last layer's hidden states (B, T, H).</summary>
    public Tensor SequenceOutput { get; }

    /// <summary>tanh(dense(h[CLS])) of the last layer (B, H).</summary>
    public Tensor PooledOutput { get; }

    /// <summary>
    /// With <c>outputHiddenStates</c>: the embeddings output followed by each layer's output (num_hidden_layers + 1
    /// tensors of (B, T, H); the last is <see cref="SequenceOutput"/>); otherwise null.
    /// </summary>
    public IReadOnlyList<Tensor>? HiddenStates { get; }

    /// <summary>Disposes every tensor of the output.</summary>
    public void Dispose()
    {
        SequenceOutput.Dispose();
        PooledOutput.Dispose();
        if (HiddenStates is null) return;
        foreach (var state in HiddenStates)
        {
            if (!ReferenceEquals(state, SequenceOutput))
                state.Dispose();
        }
    }
}
