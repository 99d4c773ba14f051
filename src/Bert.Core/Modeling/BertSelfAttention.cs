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
/// libtorch's fused <c>scaled_dot_product_attention</c> (its CPU flash kernel) is the faster form for float32
/// inference; for bfloat16 and for training the explicit form is 3-6% faster over the whole model (interleaved A/B
/// runs of bench/Bert.Benchmarks at BERT-base shapes on a Zen 5), so each case takes its faster form. The flash form
/// needs no contiguous copies of the heads, which is what decides it at short lengths too: on a Zen 3 (AVX2 only,
/// MKL's AVX2 kernels) a whole KNBC inference pass, 5 rounds per batch alternated in one process, was 2-3% faster
/// with flash at every length than with the explicit form up to 64 positions (small shape), and 1% (BERT-base).
/// With AVX-512 or AVX2, where inference tuning was measured (<see cref="CpuCapabilities"/>), float32 inference without
/// gradients takes <see cref="PackedAttention"/> instead, straight from the projections' (B, T, H) outputs into the
/// context (measured on an Intel Xeon, the AVX2 kernels with AVX-512 turned off; see there); anything it does not take
/// goes to the flash kernel.
/// </remarks>
public sealed class BertSelfAttention : Module<Tensor, Tensor, Tensor>
{
    private readonly BertLinear query;
    private readonly BertLinear key;
    private readonly BertLinear value;
    private readonly int numHeads;
    private readonly int headSize;
    private readonly double attentionDropout;

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
    /// (0 for real keys, a large negative number for padding), or null when no key is padding; returns the context
    /// (B, T, H).
    /// </summary>
    public override Tensor forward(Tensor hiddenStates, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        long batch = hiddenStates.size(0), length = hiddenStates.size(1);
        var projected = BertLinear.ForwardEach(hiddenStates, query, key, value);
        bool flash = !training && projected[0].dtype == ScalarType.Float32;
        if (flash && CpuCapabilities.InferenceTuningMeasured
            && PackedAttention.Accepts(projected[0], projected[1], projected[2], attentionMask, numHeads))
            return PackedAttention.Run(projected[0], projected[1], projected[2], attentionMask, numHeads, get_num_threads())
                .MoveToOuterDisposeScope();
        var q = SplitHeads(projected[0], batch, length);
        var k = SplitHeads(projected[1], batch, length);
        var v = SplitHeads(projected[2], batch, length);
        var context = flash
            ? nn.functional.scaled_dot_product_attention(q, k, v, attentionMask)     // (B, nh, T, hs)
            : ExplicitAttention(q, k, v, attentionMask);
        return context.transpose(1, 2)                      // (B, nh, T, hs) -> (B, T, nh, hs)
            .reshape(batch, length, numHeads * headSize)    // (B, T, nh, hs) -> (B, T, H)
            .MoveToOuterDisposeScope();
    }

    private Tensor ExplicitAttention(Tensor q, Tensor k, Tensor v, Tensor? attentionMask)
    {
        var scores = matmul(q, k.transpose(-2, -1)).mul_(1.0 / Math.Sqrt(headSize));                     // (B, nh, T, T)
        if (attentionMask is not null) scores.add_(attentionMask);
        var probabilities = BertDropout.Apply(scores.softmax(-1), attentionDropout, training);
        return matmul(probabilities, v);                                                                  // (B, nh, T, hs)
    }

    private Tensor SplitHeads(Tensor x, long batch, long length) =>
        x.view(batch, length, numHeads, headSize)           // (B, T, H) -> (B, T, nh, hs)
            .transpose(1, 2);                               // (B, T, nh, hs) -> (B, nh, T, hs)
}
