using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Utils;

namespace Bert.Core.Modeling;

/// <summary>One post-LayerNorm transformer layer (Hugging Face <c>BertLayer</c>: attention, intermediate, output).</summary>
public sealed class BertLayer : Module<Tensor, Tensor, Tensor>
{
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertOutput output;

    /// <summary>Creates the layer of <paramref name="config"/>.</summary>
    public BertLayer(BertConfig config) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertOutput(config);
        RegisterComponents();
    }

    /// <summary>(B, T, H) hidden states and the additive mask (or null: no padding) to the next (B, T, H) hidden states.</summary>
    public override Tensor forward(Tensor hiddenStates, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        var attended = attention.forward(hiddenStates, attentionMask);
        return output.forward(intermediate.forward(attended), attended).MoveToOuterDisposeScope();
    }

    /// <summary>The same on packed (N, H) real tokens (see <see cref="TokenPacking"/>).</summary>
    internal Tensor forward(Tensor packedHiddenStates, Tensor? attentionMask, TokenPacking packing)
    {
        using var scope = NewDisposeScope();
        var attended = attention.forward(packedHiddenStates, attentionMask, packing);
        return output.forward(intermediate.forward(attended), attended).MoveToOuterDisposeScope();
    }
}
