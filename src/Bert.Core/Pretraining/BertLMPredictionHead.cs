using Bert.Core.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Utils;

namespace Bert.Core.Pretraining;

/// <summary>
/// The masked-LM head (Hugging Face <c>BertLMPredictionHead</c>, TensorFlow <c>cls/predictions</c>): the transform, then
/// a decoder whose weight is the word embedding table itself (tied: passed in at each call, never copied) plus the
/// head's own output bias <c>cls.predictions.bias</c> (V).
/// </summary>
public sealed class BertLMPredictionHead : Module<Tensor, Tensor, Tensor>
{
    private readonly BertPredictionHeadTransform transform;
    private readonly Parameter bias;

    /// <summary>Creates the head for <paramref name="config"/>, with a zero output bias.</summary>
    public BertLMPredictionHead(BertConfig config) : base(nameof(BertLMPredictionHead))
    {
        ArgumentNullException.ThrowIfNull(config);
        transform = new BertPredictionHeadTransform(config);
        bias = new Parameter(zeros(config.VocabSize));
        RegisterComponents();
    }

    /// <summary>The output bias (V), Hugging Face <c>cls.predictions.bias</c>, TensorFlow <c>cls/predictions/output_bias</c>.</summary>
    public Parameter Bias => bias;

    /// <summary>(N, H) hidden states and the (V, H) word embedding table -> (N, V) logits.</summary>
    public override Tensor forward(Tensor hidden, Tensor wordEmbeddings)
    {
        using var scope = NewDisposeScope();
        var transformed = transform.forward(hidden);                                                 // (N, H)
        // The decoder computes in the transform's type: mixed precision set on the model reaches the largest product too.
        var computeType = BertLinear.ComputeTypeOf(transform);
        return BertLinear.Apply(transformed, wordEmbeddings, bias, computeType: computeType).MoveToOuterDisposeScope();   // (N, H) x (V, H)^T -> (N, V)
    }
}
