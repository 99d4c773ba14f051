using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Utils;

namespace Bert.Core.Modeling;

/// <summary>tanh(dense(h[CLS])) (Hugging Face <c>BertPooler</c>; keras-bert's <c>NSP-Dense</c>).</summary>
public sealed class BertPooler : Module<Tensor, Tensor>
{
    private readonly Linear dense;

    /// <summary>Creates the pooler of <paramref name="config"/>.</summary>
    public BertPooler(BertConfig config) : base(nameof(BertPooler))
    {
        ArgumentNullException.ThrowIfNull(config);
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    /// <summary>Device and dtype of the weights (Linear caches its parameter wrappers, so this allocates no tensor).</summary>
    internal (Device Device, ScalarType DType) Placement => (dense.weight!.device, dense.weight!.dtype);

    /// <summary>The pooled output (B, H) of a (B, T, H) sequence output.</summary>
    public override Tensor forward(Tensor sequenceOutput)
    {
        using var scope = NewDisposeScope();
        var first = sequenceOutput.select(1, 0); // (B, T, H) -> (B, H)
        return dense.forward(first).tanh().MoveToOuterDisposeScope();
    }
}
