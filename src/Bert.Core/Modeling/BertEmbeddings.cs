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

    /// <summary>Embeds (B, T) int64 token ids and token type ids into (B, T, H).</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        long length = inputIds.size(1);
        var positionIds = arange(length, dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0); // (T) -> (1, T)
        var embeddings = wordEmbeddings.forward(inputIds)                                                 // (B, T, H)
            + positionEmbeddings.forward(positionIds)                                                     // (1, T, H)
            + tokenTypeEmbeddings.forward(tokenTypeIds);                                                  // (B, T, H)
        return dropout.forward(layerNorm.forward(embeddings)).MoveToOuterDisposeScope();
    }
}
