namespace Bert.Tokenization;

/// <summary>
/// Refuses single texts for a model trained on pairs and pairs for one trained on single texts (when the classifier
/// knows which it was), naming what the model expects; shared by the TorchSharp and the ONNX classifiers.
/// </summary>
internal static class PairCheck
{
    /// <exception cref="ArgumentException">The input kind differs from <paramref name="trainedOnPairs"/>.</exception>
    public static void Check(bool? trainedOnPairs, bool givenPairs)
    {
        if (trainedOnPairs is not { } pairs || pairs == givenPairs)
            return;
        throw new ArgumentException(pairs
            ? "The model was trained on sentence pairs: give a second text for each text (Predict(text, pair); the CLI reads text<TAB>pair)."
            : "The model was trained on single texts; it cannot read pairs (give one text each).");
    }
}
