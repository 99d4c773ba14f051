namespace Bert.Classification;

/// <summary>The predicted label of one text and the probability of every label.</summary>
/// <param name="Label">The most probable label.</param>
/// <param name="Probability">Its probability.</param>
/// <param name="Probabilities">Every label's probability, in the classifier's label order.</param>
public sealed record Prediction(string Label, float Probability, IReadOnlyList<KeyValuePair<string, float>> Probabilities);
