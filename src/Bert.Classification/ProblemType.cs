namespace Bert.Classification;

/// <summary>What the classification head predicts and which loss trains it.</summary>
public enum ProblemType
{
    /// <summary>One label per text: softmax over the labels, cross-entropy loss.</summary>
    SingleLabel,

    /// <summary>Any number of labels per text: one sigmoid per label, binary cross-entropy loss.</summary>
    MultiLabel,

    /// <summary>One real number per text: a single output, mean squared error loss.</summary>
    Regression,
}
