using Bert.Classification.Metrics;

namespace Bert.Classification.Training;

/// <summary>Predictions on a labelled set, their mean loss and the classification report.</summary>
/// <param name="Loss">Mean loss over the examples.</param>
/// <param name="Predicted">The predicted label of every example, in input order.</param>
/// <param name="Probabilities">The probability of every label (in the trainer's label order) per example.</param>
/// <param name="Report">Per-class precision, recall and F1 with averages.</param>
public sealed record EvaluationResult(
    double Loss, IReadOnlyList<string> Predicted, IReadOnlyList<float[]> Probabilities, ClassificationReport Report);
