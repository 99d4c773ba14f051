using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Utils;

namespace Bert.Core.Modeling;

/// <summary>The feed-forward expansion and activation (Hugging Face <c>BertIntermediate</c>).</summary>
public sealed class BertIntermediate : Module<Tensor, Tensor>
{
    private readonly BertLinear dense;
    private readonly Func<Tensor, bool, Tensor> activation;
    private readonly bool geluErf;

    /// <summary>Creates the layer of <paramref name="config"/> with its <c>hidden_act</c>.</summary>
    public BertIntermediate(BertConfig config) : base(nameof(BertIntermediate))
    {
        ArgumentNullException.ThrowIfNull(config);
        dense = new BertLinear(config.HiddenSize, config.IntermediateSize);
        activation = BertActivation.For(config.HiddenAct);
        geluErf = config.HiddenAct == "gelu";
        RegisterComponents();
    }

    /// <summary>act(dense(x)): (B, T, H) to (B, T, I).</summary>
    public override Tensor forward(Tensor hiddenStates)
    {
        using var scope = NewDisposeScope();
        if (geluErf && !training && dense.ForwardFused(hiddenStates, null, gelu: true) is { } activated)
            return activated.MoveToOuterDisposeScope();
        var projected = dense.forward(hiddenStates);
        return activation(projected, InferenceInPlace.Allowed(this, projected)).MoveToOuterDisposeScope();
    }
}
