using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Utils;

namespace Bert.Core.Modeling;

/// <summary>The feed-forward contraction, dropout, residual and LayerNorm (Hugging Face <c>BertOutput</c>).</summary>
public sealed class BertOutput : Module<Tensor, Tensor, Tensor>
{
    private readonly BertLinear dense;
    [ComponentName(Name = "LayerNorm")]
    private readonly LayerNorm layerNorm;
    private readonly BertDropout dropout;

    /// <summary>Creates the layer of <paramref name="config"/>.</summary>
    public BertOutput(BertConfig config) : base(nameof(BertOutput))
    {
        ArgumentNullException.ThrowIfNull(config);
        dense = new BertLinear(config.IntermediateSize, config.HiddenSize);
        layerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = new BertDropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>LayerNorm(dropout(dense(intermediate)) + input): (B, T, I) and (B, T, H) to (B, T, H).</summary>
    public override Tensor forward(Tensor intermediate, Tensor input)
    {
        using var scope = NewDisposeScope();
        var summed = (training ? null : dense.ForwardFused(intermediate, input, gelu: false))
            ?? InferenceInPlace.AddResidual(this, dropout, dense.forward(intermediate), input);
        return layerNorm.forward(summed).MoveToOuterDisposeScope();
    }
}
