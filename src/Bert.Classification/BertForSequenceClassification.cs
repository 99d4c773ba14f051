using Bert.Core;
using Bert.Core.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Bert.Classification;

/// <summary>
/// BERT with a dropout and a linear layer on a pooled vector, for N labels (Hugging Face's
/// <c>BertForSequenceClassification</c>: parameters <c>bert.*</c>, <c>classifier.weight</c>, <c>classifier.bias</c>).
/// </summary>
public sealed class BertForSequenceClassification : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly BertModel bert;
    private readonly BertDropout dropout;
    private readonly Linear classifier;

    /// <summary>Puts a classification head for <paramref name="numLabels"/> outputs on <paramref name="bert"/>.</summary>
    /// <param name="bert">The encoder; its parameters become <c>bert.*</c>.</param>
    /// <param name="numLabels">Number of labels (1 for regression).</param>
    /// <param name="options">Pooling, dropout and problem type; null for the defaults.</param>
    public BertForSequenceClassification(BertModel bert, int numLabels, ClassificationHeadOptions? options = null)
        : base(nameof(BertForSequenceClassification))
    {
        ArgumentNullException.ThrowIfNull(bert);
        Options = options ?? new ClassificationHeadOptions();
        Options.Validate(bert.Config.NumHiddenLayers);
        if (Options.ProblemType == ProblemType.Regression ? numLabels != 1 : numLabels < 1)
            throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels,
                Options.ProblemType == ProblemType.Regression ? "Regression has exactly one output." : "At least one label is needed.");

        NumLabels = numLabels;
        this.bert = bert;
        var config = bert.Config;
        dropout = new BertDropout(Options.Dropout ?? config.HiddenDropoutProb);
        long features = BertPooling.OutputSize(Options.Pooling, config.HiddenSize, Options.ConcatLayers);
        // Created empty (libtorch's default initialisation would draw from the global generator), then initialised as
        // BertPreTrainedModel._init_weights does, from the seeded generator when there is one.
        classifier = nn.Linear(new Parameter(empty(numLabels, features)), new Parameter(empty(numLabels)));
        using (no_grad())
        using (var generator = Options.Seed is { } seed ? new Generator(unchecked((ulong)seed), CPU) : null)
        {
            classifier.weight!.normal_(0, config.InitializerRange, generator);
            classifier.bias!.zero_();
        }
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public BertModel Bert => bert;

    /// <summary>The head's options.</summary>
    public ClassificationHeadOptions Options { get; }

    /// <summary>The number of outputs.</summary>
    public int NumLabels { get; }

    /// <summary>
    /// Whether the encoder works on the real tokens only (see <c>BertModel.PackTokens</c>): the logits do not read
    /// padding positions, so this changes speed (about 10–15% on KNBC batches), not results beyond float rounding.
    /// On by default.
    /// </summary>
    public bool PackTokens { get; set; } = true;

    /// <summary>Logits (B, NumLabels) for a batch of (B, T) int64 inputs; attention mask 1 marks real tokens.</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var output = bert.forward(inputIds, tokenTypeIds, attentionMask, BertPooling.NeedsHiddenStates(Options.Pooling), PackTokens);
        var pooled = BertPooling.Pool(output, attentionMask, Options.Pooling, Options.ConcatLayers);
        return classifier.forward(dropout.forward(pooled)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The loss of <paramref name="logits"/> against <paramref name="labels"/>: cross-entropy over label indices (int64, (B)),
    /// binary cross-entropy over 0/1 targets (float, (B, N)), or mean squared error (float, (B)).
    /// </summary>
    /// <param name="logits">The output of <see cref="forward"/>.</param>
    /// <param name="labels">The targets, as described above.</param>
    /// <param name="classWeights">Optional per-label weights (N), for single-label problems.</param>
    public Tensor Loss(Tensor logits, Tensor labels, Tensor? classWeights = null)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        return Options.ProblemType switch
        {
            ProblemType.SingleLabel => nn.functional.cross_entropy(logits, labels, classWeights),
            ProblemType.MultiLabel => nn.functional.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype)),
            _ => nn.functional.mse_loss(logits.squeeze(-1), labels.to(logits.dtype)),
        };
    }

    /// <summary>Probabilities from logits: softmax (single-label), sigmoid (multi-label), identity (regression).</summary>
    public Tensor Probabilities(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        return Options.ProblemType switch
        {
            ProblemType.SingleLabel => logits.softmax(-1),
            ProblemType.MultiLabel => logits.sigmoid(),
            _ => logits.alias(),
        };
    }
}
