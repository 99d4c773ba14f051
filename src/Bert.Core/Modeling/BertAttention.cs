using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Utils;

namespace Bert.Core.Modeling;

/// <summary>Self-attention followed by its output block (Hugging Face <c>BertAttention</c>: <c>self</c>, <c>output</c>).</summary>
public sealed class BertAttention : Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "self")]
    private readonly BertSelfAttention selfAttention;
    private readonly BertSelfOutput output;

    /// <summary>Creates the block of <paramref name="config"/>.</summary>
    public BertAttention(BertConfig config) : base(nameof(BertAttention))
    {
        selfAttention = new BertSelfAttention(config);
        output = new BertSelfOutput(config);
        RegisterComponents();
    }

    /// <summary>(B, T, H) hidden states and the additive mask (or null: no padding) to (B, T, H).</summary>
    public override Tensor forward(Tensor hiddenStates, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        var context = selfAttention.forward(hiddenStates, attentionMask);
        return output.forward(context, hiddenStates).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The same on packed (N, H) real tokens: self-attention runs on their padded (B, T, H) layout, the output
    /// projection, residual and LayerNorm on the N tokens.
    /// </summary>
    internal Tensor forward(Tensor packedHiddenStates, Tensor? attentionMask, TokenPacking packing)
    {
        using var scope = NewDisposeScope();
        var context = packing.Pack(selfAttention.forward(packing.Unpack(packedHiddenStates), attentionMask));
        return output.forward(context, packedHiddenStates).MoveToOuterDisposeScope();
    }
}
