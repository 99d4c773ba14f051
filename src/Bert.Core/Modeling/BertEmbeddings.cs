using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Utils;

namespace Bert.Core.Modeling;

/// <summary>
/// Word + position + token type embeddings, then LayerNorm and dropout (Hugging Face <c>BertEmbeddings</c>).
/// Positions are 0..T-1, computed per call (no <c>position_ids</c> buffer). No row is a padding row: id 0 is an
/// ordinary token (it is <c>&lt;unk&gt;</c> in SentencePiece vocabularies).
/// </summary>
public sealed class BertEmbeddings : Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "word_embeddings")]
    private readonly Embedding wordEmbeddings;
    [ComponentName(Name = "position_embeddings")]
    private readonly Embedding positionEmbeddings;
    [ComponentName(Name = "token_type_embeddings")]
    private readonly Embedding tokenTypeEmbeddings;
    [ComponentName(Name = "LayerNorm")]
    private readonly LayerNorm layerNorm;
    private readonly BertDropout dropout;
    // The sparse-gradient lookup of SparseWordGradients (an Embedding's options are fixed at construction) and the
    // handle of the table it was last pointed at. Made after RegisterComponents: not a component, not in the state.
    private Embedding? sparseLookup;
    private Parameter? sparseLookupTable;

    /// <summary>Creates the embedding tables of <paramref name="config"/>.</summary>
    public BertEmbeddings(BertConfig config) : base(nameof(BertEmbeddings))
    {
        ArgumentNullException.ThrowIfNull(config);
        wordEmbeddings = nn.Embedding(config.VocabSize, config.HiddenSize);
        positionEmbeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        tokenTypeEmbeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        layerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = new BertDropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>The word embedding table (V, H), e.g. for tying a masked-LM decoder.</summary>
    public Embedding WordEmbeddings => wordEmbeddings;

    /// <summary>
    /// When true, a forward pass in training mode, with gradients on and the table on the CPU and trainable, gives the
    /// word embedding table a sparse (COO) gradient: one row per token of the batch, instead of a dense (V, H) table
    /// that is zero outside the batch's tokens, which the backward pass fills and the optimizer reads in full every step.
    /// <see cref="Optimization.AdamWarmup"/> takes it and gives the parameters the same bits as with the dense
    /// gradient (with one backward pass per step; summed over several, the additions come in another order).
    /// TorchSharp's own optimizers are not written for sparse gradients (Adagrad, Adamax, Adadelta, ASGD and Rprop refuse
    /// them), so this is off by default; <c>ClassificationTrainer</c> turns it on while it trains. Default false.
    /// </summary>
    public bool SparseWordGradients { get; set; }

    /// <summary>Embeds (B, T) int64 token ids and token type ids into (B, T, H).</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        long length = inputIds.size(1);
        var positionIds = arange(length, dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0); // (T) -> (1, T)
        var embeddings = LookUpWords(inputIds)                                                            // (B, T, H)
            + positionEmbeddings.forward(positionIds)                                                     // (1, T, H)
            + tokenTypeEmbeddings.forward(tokenTypeIds);                                                  // (B, T, H)
        return dropout.forward(layerNorm.forward(embeddings)).MoveToOuterDisposeScope();
    }

    private Tensor LookUpWords(Tensor inputIds)
    {
        if (!SparseWordGradients || !training || !is_grad_enabled())
            return wordEmbeddings.forward(inputIds);
        var table = wordEmbeddings.weight!;
        if (!table.requires_grad || table.device_type != DeviceType.CPU)
        {
            table.Dispose();
            return wordEmbeddings.forward(inputIds);
        }
        if (sparseLookup is null)
        {
            // Its own 1 x 1 table is replaced below; its random initialisation must not advance libtorch's generator,
            // which would change every later dropout mask (Embedding_from_pretrained draws a whole V x H table).
            using var state = torch.get_rng_state();
            sparseLookup = nn.Embedding(1, 1, sparse: true);
            torch.set_rng_state(state);
        }
        sparseLookup.weight = table;                      // the model's own table (the current one, after any .to())
        sparseLookupTable?.Dispose();
        sparseLookupTable = table;
        return sparseLookup.forward(inputIds);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            sparseLookup?.Dispose();                      // disposes the handle it holds, sparseLookupTable
            sparseLookup = null;
            sparseLookupTable = null;
        }
        base.Dispose(disposing);
    }
}
