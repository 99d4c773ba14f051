using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Utils;

namespace Bert.Core.Modeling;

/// <summary>
/// The BERT encoder (Hugging Face <c>BertModel</c>): embeddings, <c>num_hidden_layers</c> post-LayerNorm transformer
/// layers and the pooler. Its <c>state_dict()</c> keys equal Hugging Face's (<c>embeddings.word_embeddings.weight</c>,
/// <c>encoder.layer.0.attention.self.query.weight</c>, ..., <c>pooler.dense.bias</c>).
/// A new model is initialised as BERT is (normal(0, initializer_range), zero biases, LayerNorm 1/0) and is in
/// training mode, as every TorchSharp module; <see cref="BertModelBuilder.Build"/> returns it in eval mode.
/// </summary>
public sealed class BertModel : Module<Tensor, Tensor, Tensor, BertModelOutput>
{
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;
    private readonly BertPooler pooler;

    /// <summary>Builds a randomly initialised model from <paramref name="config"/> (validated, then copied).</summary>
    /// <exception cref="ArgumentException">The config is invalid.</exception>
    /// <exception cref="InsufficientMemoryException">The weights alone would not fit in memory (checked before allocating).</exception>
    public BertModel(BertConfig config) : this(config, null)
    {
    }

    internal BertModel(BertConfig config, Generator? generator) : base(nameof(BertModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        config.EnsureWeightsFitInMemory();
        Config = config.Clone();
        // With a private generator the global one must not move: libtorch's own default initialisation of the
        // embeddings and the pooler (overwritten below) draws from it, which would change every later global draw.
        using var globalState = generator is null ? null : torch.get_rng_state();
        embeddings = new BertEmbeddings(Config);
        encoder = new BertEncoder(Config);
        pooler = new BertPooler(Config);
        if (globalState is not null) torch.set_rng_state(globalState);
        RegisterComponents();
        BertWeightInitializer.Apply(this, Config.InitializerRange, generator);
    }

    /// <summary>The model's configuration (a copy of the one given; do not change it).</summary>
    public BertConfig Config { get; }

    /// <summary>
    /// Whether <see cref="forward(Tensor, Tensor, Tensor, bool)"/> runs the per-token work (projections,
    /// feed-forward, LayerNorm) on the real tokens only, when padding makes up at least
    /// <see cref="PackingMinPaddedFraction"/> of a batch; only self-attention then sees the padded layout (a single
    /// sequence padded only at its end, as one text is, runs on its real positions alone, attention included). Real
    /// tokens' outputs are the same to float rounding, but the sequence output and hidden states are zero at padding
    /// positions instead of the values Hugging Face's model computes there, so it is off by default. The
    /// classification head and <c>TextEmbedder</c>, which read real positions only, pack whatever this says
    /// (<c>BertForSequenceClassification.PackTokens</c>).
    /// </summary>
    public bool PackTokens { get; set; }

    /// <summary>The share of padding positions in a batch from which <see cref="PackTokens"/> packs (default 0.05).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in [0, 1].</exception>
    public double PackingMinPaddedFraction
    {
        get => packingMinPaddedFraction;
        set => packingMinPaddedFraction = value is >= 0 and <= 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "PackingMinPaddedFraction must be between 0 and 1.");
    }

    private double packingMinPaddedFraction = 0.05;

    /// <summary>The embeddings block.</summary>
    public BertEmbeddings Embeddings => embeddings;

    /// <summary>The encoder layers.</summary>
    public BertEncoder Encoder => encoder;

    /// <summary>The pooler.</summary>
    public BertPooler Pooler => pooler;

    /// <summary>Runs the model without collecting hidden states.</summary>
    /// <inheritdoc cref="forward(Tensor, Tensor, Tensor, bool)"/>
    public override BertModelOutput forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) =>
        forward(inputIds, tokenTypeIds, attentionMask, outputHiddenStates: false);

    /// <summary>
    /// Runs the model on a batch. All inputs are (B, T) int64 on the model's device; <paramref name="attentionMask"/>
    /// is 1 for real tokens and 0 for padding (never inferred from the ids).
    /// </summary>
    /// <param name="inputIds">Token ids in [0, vocab_size).</param>
    /// <param name="tokenTypeIds">Segment ids in [0, type_vocab_size).</param>
    /// <param name="attentionMask">1 = attend to this token, 0 = padding.</param>
    /// <param name="outputHiddenStates">Also return the embeddings output and every layer's output.</param>
    /// <exception cref="ArgumentException">Shapes, dtypes, devices or values are out of range (the message says which).</exception>
    public BertModelOutput forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask, bool outputHiddenStates) =>
        forward(inputIds, tokenTypeIds, attentionMask, outputHiddenStates, PackTokens);

    /// <summary>
    /// The same, packing the real tokens when <paramref name="packTokens"/> (see <see cref="PackTokens"/>): for heads
    /// and pipelines that read only real positions (pooling, classification, embeddings).
    /// </summary>
    internal BertModelOutput forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask, bool outputHiddenStates, bool packTokens)
    {
        CheckInputs(inputIds, tokenTypeIds, attentionMask);
        return packTokens && !outputHiddenStates && RealPrefix(attentionMask) is { } real
            ? ForwardPrefix(inputIds, tokenTypeIds, attentionMask, real)
            : Run(inputIds, tokenTypeIds, attentionMask, outputHiddenStates, packTokens);
    }

    /// <summary>The forward pass on checked inputs.</summary>
    private BertModelOutput Run(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask, bool outputHiddenStates, bool packTokens)
    {
        using var scope = NewDisposeScope();
        bool padded = MayHavePadding(attentionMask);
        var additiveMask = padded ? AdditiveMask(attentionMask, pooler.Placement.DType) : null;
        var hidden = embeddings.forward(inputIds, tokenTypeIds);
        List<Tensor>? states = outputHiddenStates ? [hidden] : null;
        using var packing = packTokens && padded ? TokenPacking.Create(attentionMask, PackingMinPaddedFraction) : null;
        Tensor sequence;
        if (packing is null)
        {
            sequence = encoder.forward(hidden, additiveMask, states);
        }
        else
        {
            // Packed (N, H) out; with hidden states, their last entry is already its padded (B, T, H) form.
            var last = encoder.forward(packing.Pack(hidden), additiveMask, states, packing);
            sequence = states is null ? packing.Unpack(last) : states[^1];
        }
        var pooled = pooler.forward(sequence);
        if (states is not null)
        {
            foreach (var state in states) state.MoveToOuterDisposeScope();
        }
        else
        {
            sequence.MoveToOuterDisposeScope();
        }
        return new BertModelOutput(sequence, pooled.MoveToOuterDisposeScope(), states);
    }

    /// <summary>
    /// One sequence whose real tokens are its first <paramref name="real"/> positions (a single text padded at the end):
    /// the model runs on those positions alone, with nothing to pack, and the sequence output is padded back with zeros,
    /// as packing leaves padding positions. Every KNBC sentence predicted one at a time (small shape, padded to a multiple
    /// of 8), forward passes alternating with the packed form in one process on a 2-core Intel Xeon (family 6, model 207):
    /// 581 against 549 sequences/s on two threads, 486 against 459 on one.
    /// </summary>
    private BertModelOutput ForwardPrefix(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask, long real)
    {
        using var scope = NewDisposeScope();
        long length = inputIds.size(1);
        var output = Run(inputIds.narrow(1, 0, real), tokenTypeIds.narrow(1, 0, real), attentionMask.narrow(1, 0, real), false, false);
        var sequence = nn.functional.pad(output.SequenceOutput, [0, 0, 0, length - real]);   // (1, real, H) -> (1, T, H), zeros after
        return new BertModelOutput(sequence.MoveToOuterDisposeScope(), output.PooledOutput.MoveToOuterDisposeScope(), null);
    }

    /// <summary>
    /// For a (1, T) contiguous CPU mask of 1s then 0s (at least one of each): the number of 1s; null otherwise (several
    /// sequences, no padding, padding not only at the end, or a mask not on the CPU).
    /// </summary>
    private static long? RealPrefix(Tensor attentionMask)
    {
        if (attentionMask.size(0) != 1 || attentionMask.device_type != DeviceType.CPU || !attentionMask.is_contiguous()) return null;
        var mask = MemoryMarshal.Cast<byte, long>(attentionMask.bytes);
        int real = mask.IndexOf(0L);
        if (real <= 0 || mask[real..].ContainsAnyExcept(0L)) return null;
        return real;
    }

    /// <summary>
    /// Whether <paramref name="attentionMask"/> may mark padding: false only for a contiguous CPU mask without a 0, read
    /// in place (a mask on another device is not read: that would wait for the device). Without padding the layers get no
    /// mask at all: no additive mask to build, no packing to try, attention without a mask to add. A small BERT on one
    /// 24-token sentence, forward passes alternating with the mask of zeros in one process on a 2-core Intel Xeon (family
    /// 6, model 207): 765.8/785.1 against 736.2/754.1 sequences/s (+4%); MiniLM at 128 tokens +0.4-0.8%.
    /// </summary>
    private static bool MayHavePadding(Tensor attentionMask) =>
        attentionMask.device_type != DeviceType.CPU || !attentionMask.is_contiguous()
        || MemoryMarshal.Cast<byte, long>(attentionMask.bytes).Contains(0L);

    /// <summary>(B, T) 1/0 mask to an additive (B, 1, 1, T) mask: 0 for real tokens, the dtype's minimum for padding.</summary>
    private static Tensor AdditiveMask(Tensor attentionMask, ScalarType dtype)
    {
        double min = dtype switch
        {
            ScalarType.Float64 => double.MinValue,
            ScalarType.Float16 => -65504.0,
            ScalarType.BFloat16 => -3.3895313892515355e38,
            _ => float.MinValue,
        };
        var keep = attentionMask.to(dtype).unsqueeze(1).unsqueeze(2); // (B, T) -> (B, 1, 1, T)
        return (1.0 - keep) * min;
    }

    private void CheckInputs(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(tokenTypeIds);
        ArgumentNullException.ThrowIfNull(attentionMask);
        CheckTensor(inputIds, nameof(inputIds));
        CheckTensor(tokenTypeIds, nameof(tokenTypeIds));
        CheckTensor(attentionMask, nameof(attentionMask));
        if (!TensorSizes.SameShape(tokenTypeIds, inputIds))
            throw new ArgumentException(
                $"tokenTypeIds has shape [{string.Join(", ", tokenTypeIds.shape)}] but inputIds has [{string.Join(", ", inputIds.shape)}]", nameof(tokenTypeIds));
        if (!TensorSizes.SameShape(attentionMask, inputIds))
            throw new ArgumentException(
                $"attentionMask has shape [{string.Join(", ", attentionMask.shape)}] but inputIds has [{string.Join(", ", inputIds.shape)}]", nameof(attentionMask));
        long length = inputIds.size(1);
        if (length > Config.MaxPositionEmbeddings)
            throw new ArgumentException(
                $"The sequence length {length} exceeds the model's {Config.MaxPositionEmbeddings} positions (max_position_embeddings); truncate the input", nameof(inputIds));
        var device = pooler.Placement.Device;
        foreach (var (tensor, name) in new[] { (inputIds, nameof(inputIds)), (tokenTypeIds, nameof(tokenTypeIds)), (attentionMask, nameof(attentionMask)) })
        {
            if (tensor.device_type != device.type || tensor.device_index != device.index)
                throw new ArgumentException($"{name} is on {tensor.device} but the model is on {device}", name);
        }
        CheckRange(inputIds, Config.VocabSize, nameof(inputIds), "token id", "vocab_size");
        CheckRange(tokenTypeIds, Config.TypeVocabSize, nameof(tokenTypeIds), "token type", "type_vocab_size");
        CheckRange(attentionMask, 2, nameof(attentionMask), "value", "1 = real token, 0 = padding");
    }

    private static void CheckTensor(Tensor tensor, string name)
    {
        if (tensor.dim() != 2)
            throw new ArgumentException($"{name} must be (B, T); it has shape [{string.Join(", ", tensor.shape)}]", name);
        if (tensor.dtype != ScalarType.Int64)
            throw new ArgumentException($"{name} must be int64; it is {tensor.dtype}", name);
        if (tensor.size(0) == 0 || tensor.size(1) == 0)
            throw new ArgumentException($"{name} is empty (shape [{string.Join(", ", tensor.shape)}])", name);
    }

    private static void CheckRange(Tensor tensor, long upper, string name, string what, string field)
    {
        var (lo, hi) = tensor.device_type == DeviceType.CPU && tensor.is_contiguous() ? MinMaxOnCpu(tensor) : MinMax(tensor);
        if (lo < 0 || hi >= upper)
            throw new ArgumentException(
                $"{name} holds a {what} {(lo < 0 ? lo : hi)} outside [0, {upper}) ({field})", name);
    }

    /// <summary>
    /// The smallest and largest value of a contiguous CPU int64 tensor, read in place: no libtorch operation (the three
    /// checks of a forward pass took six reductions and six reads otherwise). A small BERT on one 20-token sentence,
    /// forward passes alternating with the reductions in one process (Intel Xeon, family 6, model 207): 534/450 against
    /// 529/443 sequences/s on one thread, 755/718 against 743/698 on two.
    /// </summary>
    private static (long Min, long Max) MinMaxOnCpu(Tensor tensor)
    {
        long lo = long.MaxValue, hi = long.MinValue;
        foreach (long value in MemoryMarshal.Cast<byte, long>(tensor.bytes))
        {
            lo = Math.Min(lo, value);
            hi = Math.Max(hi, value);
        }
        return (lo, hi);
    }

    private static (long Min, long Max) MinMax(Tensor tensor)
    {
        using var min = tensor.min();
        using var max = tensor.max();
        return (min.item<long>(), max.item<long>());
    }
}
