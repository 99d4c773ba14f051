using Bert.Core.Modeling;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Utils;

namespace Bert.Core.Pretraining;

/// <summary>
/// BERT with its two pretraining heads (Hugging Face <c>BertForPreTraining</c>): the encoder under <c>bert.</c>, the
/// masked-LM head <c>cls.predictions</c> (dense + activation + LayerNorm, then a decoder tied to
/// <c>bert.embeddings.word_embeddings.weight</c> plus <c>cls.predictions.bias</c>) and the next-sentence head
/// <c>cls.seq_relationship</c> (Linear H -> 2 on the pooled output).
/// </summary>
/// <remarks>
/// <para>State-dict keys: <c>bert.*</c> (those of <see cref="BertModel"/>), <c>cls.predictions.transform.dense.weight</c>/<c>bias</c>,
/// <c>cls.predictions.transform.LayerNorm.weight</c>/<c>bias</c>, <c>cls.predictions.bias</c>,
/// <c>cls.seq_relationship.weight</c>/<c>bias</c>. The decoder weight is the word embedding Parameter itself, so it
/// appears once, under <c>bert.embeddings.word_embeddings.weight</c>; Hugging Face's tied aliases
/// <c>cls.predictions.decoder.weight</c>/<c>decoder.bias</c> are neither saved (transformers drops them too when it
/// writes safetensors) nor required when loading (<see cref="BertPreTrainingCheckpoint"/> accepts them as aliases).</para>
/// <para>With masked positions, the masked-LM logits are computed only for those rows: (M, V) instead of (B, T, V),
/// which is what makes pretraining with a 32000-piece vocabulary affordable.</para>
/// </remarks>
public sealed class BertForPreTraining : Module<Tensor, Tensor, Tensor, BertForPreTrainingOutput>
{
    private readonly BertModel bert;
    private readonly BertPreTrainingHeads cls;

    /// <summary>Builds a randomly initialised model (encoder and heads) from <paramref name="config"/>.</summary>
    /// <exception cref="ArgumentException">The config is invalid.</exception>
    public BertForPreTraining(BertConfig config) : this(new BertModel(config))
    {
    }

    /// <summary>
    /// Adds randomly initialised pretraining heads (normal(0, initializer_range), zero biases, LayerNorm 1/0) to an
    /// existing encoder, which is used as is (not copied).
    /// </summary>
    public BertForPreTraining(BertModel bert) : base(nameof(BertForPreTraining))
    {
        ArgumentNullException.ThrowIfNull(bert);
        this.bert = bert;
        cls = new BertPreTrainingHeads(bert.Config);
        BertWeightInitializer.Apply(cls, bert.Config.InitializerRange, null);
        RegisterComponents();
    }

    /// <summary>The configuration of the encoder.</summary>
    public BertConfig Config => bert.Config;

    /// <summary>The encoder (what fine-tuning keeps).</summary>
    public BertModel Bert => bert;

    /// <summary>The pretraining heads.</summary>
    public BertPreTrainingHeads Cls => cls;

    /// <summary>Runs the model and the heads at every position: masked-LM logits (B, T, V), next-sentence logits (B, 2).</summary>
    public override BertForPreTrainingOutput forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) =>
        forward(inputIds, tokenTypeIds, attentionMask, null);

    /// <summary>Runs the model on a pretraining batch, with masked-LM logits at its masked positions only.</summary>
    public BertForPreTrainingOutput forward(PretrainingBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return forward(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask, batch.MaskedPositions);
    }

    /// <summary>
    /// Runs the model; the masked-LM head only at <paramref name="maskedPositions"/> when given.
    /// </summary>
    /// <param name="inputIds">(B, T) int64 ids.</param>
    /// <param name="tokenTypeIds">(B, T) int64 segment ids.</param>
    /// <param name="attentionMask">(B, T) 1 for tokens, 0 for padding.</param>
    /// <param name="maskedPositions">(M) int64 flat indices <c>b * T + t</c>, or null for every position.</param>
    /// <exception cref="ArgumentException">An input is malformed, or a position is outside [0, B * T).</exception>
    public BertForPreTrainingOutput forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask, Tensor? maskedPositions)
    {
        using var scope = NewDisposeScope();
        using var output = bert.forward(inputIds, tokenTypeIds, attentionMask);
        var sequence = output.SequenceOutput;                                        // (B, T, H)
        var wordEmbeddings = bert.Embeddings.WordEmbeddings.weight!;                 // (V, H), the tied decoder
        Tensor logits;
        if (maskedPositions is null)
        {
            logits = cls.Predictions.forward(sequence, wordEmbeddings);               // (B, T, H) -> (B, T, V)
        }
        else
        {
            CheckPositions(maskedPositions, sequence.shape[0] * sequence.shape[1]);
            var rows = sequence.reshape(-1, sequence.shape[2])                        // (B, T, H) -> (B*T, H)
                .index_select(0, maskedPositions);                                    // -> (M, H)
            logits = cls.Predictions.forward(rows, wordEmbeddings);                   // (M, V)
        }
        var nsp = cls.SeqRelationship.forward(output.PooledOutput);                   // (B, H) -> (B, 2)
        return new BertForPreTrainingOutput(logits.MoveToOuterDisposeScope(), nsp.MoveToOuterDisposeScope());
    }

    /// <summary>Runs <paramref name="batch"/> and computes its loss (see <see cref="ComputeLoss(BertForPreTrainingOutput, Tensor, Tensor)"/>).</summary>
    public BertPreTrainingLoss ComputeLoss(PretrainingBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var output = forward(batch);
        return ComputeLoss(output, batch.MaskedLabels, batch.NextSentenceLabels);
    }

    /// <summary>
    /// Masked-LM cross-entropy (mean over the M predicted positions) + next-sentence cross-entropy (mean over the batch),
    /// and the numbers of right arg-max predictions.
    /// </summary>
    /// <param name="output">The output of a forward with masked positions: (M, V) and (B, 2) logits.</param>
    /// <param name="maskedLabels">(M) int64 original ids.</param>
    /// <param name="nextSentenceLabels">(B) int64: 0 = B follows A, 1 = random.</param>
    /// <exception cref="ArgumentException">The shapes do not match.</exception>
    public static BertPreTrainingLoss ComputeLoss(BertForPreTrainingOutput output, Tensor maskedLabels, Tensor nextSentenceLabels)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(maskedLabels);
        ArgumentNullException.ThrowIfNull(nextSentenceLabels);
        var mlmLogits = output.PredictionLogits;
        if (mlmLogits.dim() != 2 || maskedLabels.dim() != 1 || mlmLogits.shape[0] != maskedLabels.shape[0])
            throw new ArgumentException($"The masked-LM logits must be (M, V) with M = the {maskedLabels.shape[0]} labels; they are [{string.Join(", ", mlmLogits.shape)}] " +
                "(run forward with the masked positions).", nameof(output));
        if (nextSentenceLabels.dim() != 1 || output.SeqRelationshipLogits.shape[0] != nextSentenceLabels.shape[0])
            throw new ArgumentException($"The next-sentence labels have shape [{string.Join(", ", nextSentenceLabels.shape)}], but the logits [{string.Join(", ", output.SeqRelationshipLogits.shape)}].",
                nameof(nextSentenceLabels));

        using var scope = NewDisposeScope();
        var m = maskedLabels.shape[0];
        var mlm = m > 0 ? nn.functional.cross_entropy(mlmLogits, maskedLabels) : zeros([], mlmLogits.dtype, mlmLogits.device);
        var nsp = nn.functional.cross_entropy(output.SeqRelationshipLogits, nextSentenceLabels);
        var total = mlm + nsp;
        long mlmCorrect, nspCorrect;
        using (no_grad())
        {
            mlmCorrect = m > 0 ? mlmLogits.argmax(-1).eq(maskedLabels).sum().item<long>() : 0;
            nspCorrect = output.SeqRelationshipLogits.argmax(-1).eq(nextSentenceLabels).sum().item<long>();
        }
        // Read through float32, as every loss in Bert.NET: item<float> of a bf16 loss throws.
        return new BertPreTrainingLoss(total.MoveToOuterDisposeScope(), Training.TrainingLoop.ReadLoss(mlm), Training.TrainingLoop.ReadLoss(nsp),
            mlmCorrect, m, nspCorrect, nextSentenceLabels.shape[0]);
    }

    private static void CheckPositions(Tensor positions, long rows)
    {
        if (positions.dim() != 1 || positions.dtype != ScalarType.Int64)
            throw new ArgumentException($"maskedPositions must be a 1-D int64 tensor of flat indices b * T + t; it is {positions.dtype} [{string.Join(", ", positions.shape)}].", nameof(positions));
        if (positions.shape[0] == 0)
            return;
        using var min = positions.min();
        using var max = positions.max();
        long lo = min.item<long>(), hi = max.item<long>();
        if (lo < 0 || hi >= rows)
            throw new ArgumentException($"maskedPositions holds {(lo < 0 ? lo : hi)}, outside [0, {rows}) (B * T).", "maskedPositions");
    }
}
