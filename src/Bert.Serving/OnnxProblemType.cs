namespace Bert.Serving;

/// <summary>What an exported classifier predicts (the names equal <c>Bert.Classification.ProblemType</c>'s, as stored in <c>serving.json</c>).</summary>
public enum OnnxProblemType
{
    /// <summary>One label per text: softmax over the logits.</summary>
    SingleLabel,

    /// <summary>Any number of labels per text: one sigmoid per label, labels at or above a threshold.</summary>
    MultiLabel,

    /// <summary>One real number per text: the single logit.</summary>
    Regression,
}
