using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Utils;

namespace Bert.Core.Modeling;

/// <summary>The stack of <see cref="BertLayer"/>s (Hugging Face <c>BertEncoder</c>: <c>layer.0</c>, <c>layer.1</c>, ...).</summary>
public sealed class BertEncoder : Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<BertLayer> layer;

    /// <summary>Creates <c>num_hidden_layers</c> layers of <paramref name="config"/>.</summary>
    public BertEncoder(BertConfig config) : base(nameof(BertEncoder))
    {
        ArgumentNullException.ThrowIfNull(config);
        layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<BertLayer> Layers => layer.ToList();

    /// <summary>
    /// Runs every layer: (B, T, H) to the last layer's (B, T, H). <paramref name="attentionMask"/> is the additive mask
    /// (see <see cref="BertSelfAttention.forward"/>), or null when no position is padding.
    /// </summary>
    public override Tensor forward(Tensor hiddenStates, Tensor? attentionMask) => forward(hiddenStates, attentionMask, null);

    /// <summary>
    /// Runs every layer and, when <paramref name="allHiddenStates"/> is given, appends each layer's output to it
    /// (those tensors belong to the caller's dispose scope).
    /// </summary>
    public Tensor forward(Tensor hiddenStates, Tensor? attentionMask, IList<Tensor>? allHiddenStates) =>
        forward(hiddenStates, attentionMask, allHiddenStates, null);

    /// <summary>
    /// With <paramref name="packing"/>, <paramref name="hiddenStates"/> and the result are the packed (N, H) real
    /// tokens (see <see cref="TokenPacking"/>); the states added to <paramref name="allHiddenStates"/> are padded
    /// (B, T, H) with zeros at padding.
    /// </summary>
    internal Tensor forward(Tensor hiddenStates, Tensor? attentionMask, IList<Tensor>? allHiddenStates, TokenPacking? packing)
    {
        using var scope = NewDisposeScope();
        var current = hiddenStates;
        foreach (var block in layer)
        {
            var next = packing is null ? block.forward(current, attentionMask) : block.forward(current, attentionMask, packing);
            if (allHiddenStates is not null)
                allHiddenStates.Add((packing is null ? next : packing.Unpack(next)).MoveToOuterDisposeScope());
            else if (!ReferenceEquals(current, hiddenStates) && !current.requires_grad)
                current.Dispose(); // inference: a layer's input is dead once the next layer has run (keeps peak memory to ~2 layers)
            current = next;
        }
        return allHiddenStates is null || packing is not null ? current.MoveToOuterDisposeScope() : current; // unpacked with the list: already moved
    }
}
