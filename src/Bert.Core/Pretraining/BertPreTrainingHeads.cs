using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Utils;

namespace Bert.Core.Pretraining;

/// <summary>
/// The two pretraining heads under <c>cls.</c> (Hugging Face <c>BertPreTrainingHeads</c>): <c>predictions</c> (masked LM)
/// and <c>seq_relationship</c> (next sentence, Linear H -> 2 on the pooled output).
/// </summary>
public sealed class BertPreTrainingHeads : nn.Module
{
    private readonly BertLMPredictionHead predictions;
    [ComponentName(Name = "seq_relationship")]
    private readonly Linear seqRelationship;

    /// <summary>Creates both heads for <paramref name="config"/>.</summary>
    public BertPreTrainingHeads(BertConfig config) : base(nameof(BertPreTrainingHeads))
    {
        ArgumentNullException.ThrowIfNull(config);
        predictions = new BertLMPredictionHead(config);
        seqRelationship = nn.Linear(config.HiddenSize, 2);
        RegisterComponents();
    }

    /// <summary>The masked-LM head.</summary>
    public BertLMPredictionHead Predictions => predictions;

    /// <summary>The next-sentence head: (B, H) pooled output -> (B, 2) logits, index 0 = "B follows A".</summary>
    public Linear SeqRelationship => seqRelationship;
}
