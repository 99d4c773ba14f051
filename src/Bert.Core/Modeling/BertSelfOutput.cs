using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Utils;

namespace Bert.Core.Modeling;

/// <summary>The attention output projection, dropout, residual and LayerNorm (Hugging Face <c>BertSelfOutput</c>).</summary>
public sealed class BertSelfOutput : Module<Tensor, Tensor, Tensor>
{
    private readonly BertLinear dense;
    [ComponentName(Name = "LayerNorm")]
    private readonly LayerNorm layerNorm;
    private readonly BertDropout dropout;

    /// <summary>Creates the projection of <paramref name="config"/>.</summary>
    public BertSelfOutput(BertConfig config) : base(nameof(BertSelfOutput))
    {
        ArgumentNullException.ThrowIfNull(config);
        dense = new BertLinear(config.HiddenSize, config.HiddenSize);
        layerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = new BertDropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>LayerNorm(dropout(dense(context)) + input), all (B, T, H).</summary>
    public override Tensor forward(Tensor context, Tensor input)
    {
        using var scope = NewDisposeScope();
        var summed = (training ? null : dense.ForwardFused(context, input, gelu: false))
            ?? InferenceInPlace.AddResidual(this, dropout, dense.forward(context), input);
        return layerNorm.forward(summed).MoveToOuterDisposeScope();
    }
}
