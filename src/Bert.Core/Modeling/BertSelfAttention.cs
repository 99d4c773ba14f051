using System.Runtime.Intrinsics.X86;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Utils;

namespace Bert.Core.Modeling;

/// <summary>
/// Multi-head scaled dot-product self-attention (Hugging Face <c>BertSelfAttention</c>): query, key and value
/// projections, then softmax(QK^T / sqrt(d) + mask) V with the additive mask that <see cref="BertModel"/> builds.
/// </summary>
/// <remarks>
/// libtorch's fused <c>scaled_dot_product_attention</c> (its CPU flash kernel) is the faster form only for float32
/// inference; for bfloat16 and for training the explicit form is 3-6% faster over the whole model (interleaved A/B
/// runs of bench/Bert.Benchmarks at BERT-base shapes), so each case takes its faster form. On a CPU without AVX-512
/// (measured on a Zen 3 EPYC, bench <c>--mode attention</c>, batch 16) the flash kernel loses to the explicit form up
/// to about 64 positions (BERT-base at 24: 1.92 against 0.87 ms; at 56: 5.2 against 4.8; at 96: 10.8 against 12.4), so
/// there short float32 batches take the explicit form too.
/// </remarks>
public sealed class BertSelfAttention : Module<Tensor, Tensor, Tensor>
{
    private readonly BertLinear query;
    private readonly BertLinear key;
    private readonly BertLinear value;
    private readonly int numHeads;
    private readonly int headSize;
    private readonly double attentionDropout;

    /// <summary>Without AVX-512, float32 inference takes the explicit form up to this many positions (see remarks).</summary>
    internal const long Avx2ExplicitMaxLength = 64;

    /// <summary>Creates the projections of <paramref name="config"/>.</summary>
    /// <exception cref="ArgumentException">hidden_size is not divisible by num_attention_heads.</exception>
    public BertSelfAttention(BertConfig config) : base(nameof(BertSelfAttention))
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.HiddenSize % config.NumAttentionHeads != 0)
            throw new ArgumentException(
                $"hidden_size ({config.HiddenSize}) must be divisible by num_attention_heads ({config.NumAttentionHeads})", nameof(config));
        numHeads = config.NumAttentionHeads;
        headSize = config.HiddenSize / config.NumAttentionHeads;
        attentionDropout = config.AttentionProbsDropoutProb;
        query = new BertLinear(config.HiddenSize, config.HiddenSize);
        key = new BertLinear(config.HiddenSize, config.HiddenSize);
        value = new BertLinear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    /// <summary>
    /// Attends over (B, T, H) hidden states with an additive mask broadcastable to (B, nh, T, T)
    /// (0 for real keys, a large negative number for padding); returns the context (B, T, H).
    /// </summary>
    public override Tensor forward(Tensor hiddenStates, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        long batch = hiddenStates.shape[0], length = hiddenStates.shape[1];
        var q = SplitHeads(query.forward(hiddenStates), batch, length);
        var k = SplitHeads(key.forward(hiddenStates), batch, length);
        var v = SplitHeads(value.forward(hiddenStates), batch, length);
        bool flash = !training && q.dtype == ScalarType.Float32 && (length > Avx2ExplicitMaxLength || Avx512F.IsSupported);
        var context = flash
            ? nn.functional.scaled_dot_product_attention(q, k, v, attentionMask)     // (B, nh, T, hs)
            : ExplicitAttention(q, k, v, attentionMask);
        return context.transpose(1, 2)                      // (B, nh, T, hs) -> (B, T, nh, hs)
            .reshape(batch, length, numHeads * headSize)    // (B, T, nh, hs) -> (B, T, H)
            .MoveToOuterDisposeScope();
    }

    private Tensor ExplicitAttention(Tensor q, Tensor k, Tensor v, Tensor attentionMask)
    {
        var scores = matmul(q, k.transpose(-2, -1)).mul_(1.0 / Math.Sqrt(headSize)).add_(attentionMask); // (B, nh, T, T)
        var probabilities = nn.functional.dropout(scores.softmax(-1), attentionDropout, training);
        return matmul(probabilities, v);                                                                  // (B, nh, T, hs)
    }

    private Tensor SplitHeads(Tensor x, long batch, long length) =>
        x.view(batch, length, numHeads, headSize)           // (B, T, H) -> (B, T, nh, hs)
            .transpose(1, 2);                               // (B, T, nh, hs) -> (B, nh, T, hs)
}
