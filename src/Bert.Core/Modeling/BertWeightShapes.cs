namespace Bert.Core.Modeling;

/// <summary>
/// The name and shape of every weight of a <see cref="BertModel"/> built from a config, computed without building it
/// (the keys and shapes of <c>state_dict()</c>, in its order). Used to check a config and a checkpoint against each
/// other, and to count parameters, before any tensor is allocated.
/// </summary>
internal static class BertWeightShapes
{
    /// <summary>Every (name, shape) of a <see cref="BertModel"/> for <paramref name="config"/> (not validated here).</summary>
    public static IEnumerable<(string Name, long[] Shape)> Of(BertConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        long h = config.HiddenSize, i = config.IntermediateSize;
        yield return ("embeddings.word_embeddings.weight", [config.VocabSize, h]);
        yield return ("embeddings.position_embeddings.weight", [config.MaxPositionEmbeddings, h]);
        yield return ("embeddings.token_type_embeddings.weight", [config.TypeVocabSize, h]);
        yield return ("embeddings.LayerNorm.weight", [h]);
        yield return ("embeddings.LayerNorm.bias", [h]);
        for (int layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            string p = $"encoder.layer.{layer}.";
            foreach (var part in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
            {
                yield return (p + part + ".weight", [h, h]);
                yield return (p + part + ".bias", [h]);
            }
            yield return (p + "attention.output.LayerNorm.weight", [h]);
            yield return (p + "attention.output.LayerNorm.bias", [h]);
            yield return (p + "intermediate.dense.weight", [i, h]);
            yield return (p + "intermediate.dense.bias", [i]);
            yield return (p + "output.dense.weight", [h, i]);
            yield return (p + "output.dense.bias", [h]);
            yield return (p + "output.LayerNorm.weight", [h]);
            yield return (p + "output.LayerNorm.bias", [h]);
        }
        yield return ("pooler.dense.weight", [h, h]);
        yield return ("pooler.dense.bias", [h]);
    }

    /// <summary>
    /// The number of parameters of that model, in closed form (no per-layer enumeration, so a config with absurd sizes
    /// costs nothing): embeddings V·H + P·H + T·H + 2H, each layer 4(H² + H) + 2·2H + 2·H·I + I + H, pooler H² + H.
    /// Computed in double: the caller compares it against limits, exact to well within them.
    /// </summary>
    public static double CountParameters(BertConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        double h = config.HiddenSize, i = config.IntermediateSize;
        double embeddings = ((double)config.VocabSize + config.MaxPositionEmbeddings + config.TypeVocabSize) * h + 2 * h;
        double layer = 4 * (h * h + h) + 4 * h + 2 * h * i + i + h;
        return embeddings + config.NumHiddenLayers * layer + h * h + h;
    }
}
