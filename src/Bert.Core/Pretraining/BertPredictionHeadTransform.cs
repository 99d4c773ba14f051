using Bert.Core.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Utils;

namespace Bert.Core.Pretraining;

/// <summary>
/// The masked-LM head's transform (Hugging Face <c>BertPredictionHeadTransform</c>, TensorFlow
/// <c>cls/predictions/transform</c>): dense H -> H, the config's activation, LayerNorm.
/// </summary>
public sealed class BertPredictionHeadTransform : Module<Tensor, Tensor>
{
    private readonly BertLinear dense;
    [ComponentName(Name = "LayerNorm")]
    private readonly LayerNorm layerNorm;
    private readonly Func<Tensor, bool, Tensor> activation;

    /// <summary>Creates the transform for <paramref name="config"/> (its <c>hidden_size</c>, <c>hidden_act</c>, <c>layer_norm_eps</c>).</summary>
    public BertPredictionHeadTransform(BertConfig config) : base(nameof(BertPredictionHeadTransform))
    {
        ArgumentNullException.ThrowIfNull(config);
        dense = new BertLinear(config.HiddenSize, config.HiddenSize);
        layerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        activation = BertActivation.For(config.HiddenAct);
        RegisterComponents();
    }

    /// <summary>(..., H) -> (..., H).</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var projected = dense.forward(hidden);
        return layerNorm.forward(activation(projected, InferenceInPlace.Allowed(this, projected))).MoveToOuterDisposeScope();
    }
}
