using System.Globalization;
using System.Text.RegularExpressions;

namespace Bert.Core.Checkpoints;

/// <summary>
/// The table between Google's TensorFlow BERT variable names (<c>bert/encoder/layer_3/attention/self/query/kernel</c>)
/// and Hugging Face <c>BertModel</c> / <c>BertForPreTraining</c> state-dict keys
/// (<c>encoder.layer.3.attention.self.query.weight</c>), as <c>load_tf_weights_in_bert</c> maps them:
/// <c>layer_N</c> to <c>layer.N</c>, <c>kernel</c> to <c>weight</c> (transposed), <c>gamma</c>/<c>beta</c> to
/// <c>weight</c>/<c>bias</c>, <c>cls/predictions/output_bias</c> to <c>cls.predictions.bias</c>,
/// <c>cls/seq_relationship/output_weights</c> (already (2, H), not transposed) to <c>cls.seq_relationship.weight</c>.
/// </summary>
/// <remarks>
/// The map is exact: a name is either one of the known weights or unmapped (null), so optimizer slots
/// (<c>.../adam_m</c>, <c>.../adam_v</c>, <c>.../Adam</c>, <c>.../Momentum</c>), <c>global_step</c>, <c>beta1_power</c>
/// and unknown names under <c>bert/</c> give null for the loader to report as skipped or unexpected.
/// One alias: <c>output_weights</c>/<c>output_bias</c> at the top level are the classifier head that Google's
/// <c>run_classifier.py</c> adds (shape (num_labels, H), not transposed); they map to <c>classifier.weight</c>/<c>classifier.bias</c>
/// (Hugging Face <c>BertForSequenceClassification</c>). The keras-bert test checkpoint uses Google's names unchanged.
/// </remarks>
internal static class BertCheckpointNameMap
{
    private static readonly Regex TfLayer = new(@"^bert/encoder/layer_(0|[1-9][0-9]{0,5})/(.+)$", RegexOptions.CultureInvariant);
    private static readonly Regex HfLayer = new(@"^encoder\.layer\.(0|[1-9][0-9]{0,5})\.(.+)$", RegexOptions.CultureInvariant);

    // TensorFlow name -> (HF name, transpose) for names outside the encoder layers.
    private static readonly Dictionary<string, BertNameMapping> Fixed = BuildFixed();
    // Within bert/encoder/layer_N/: TF suffix -> (HF suffix, transpose).
    private static readonly Dictionary<string, BertNameMapping> Layer = BuildLayer();
    private static readonly Dictionary<string, BertNameMapping> FixedInverse = Invert(Fixed);
    private static readonly Dictionary<string, BertNameMapping> LayerInverse = Invert(Layer);

    /// <summary>
    /// The Hugging Face state-dict key for a TensorFlow variable name, or null when the variable is not a model weight
    /// (optimizer slots, <c>global_step</c>, unknown names).
    /// </summary>
    public static BertNameMapping? FromTensorFlow(string tfName)
    {
        ArgumentNullException.ThrowIfNull(tfName);
        if (Fixed.TryGetValue(tfName, out var m))
            return m;
        var match = TfLayer.Match(tfName);
        if (match.Success && Layer.TryGetValue(match.Groups[2].Value, out var suffix))
            return suffix with { Name = $"encoder.layer.{match.Groups[1].Value}.{suffix.Name}" };
        return null;
    }

    /// <summary>
    /// The TensorFlow variable name for a Hugging Face state-dict key (with or without the <c>bert.</c> prefix of
    /// <c>BertForPreTraining</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The key has no TensorFlow counterpart (see <see cref="TryToTensorFlow"/>).</exception>
    public static string ToTensorFlow(string hfName) =>
        TryToTensorFlow(hfName)?.Name
        ?? throw new ArgumentException($"'{hfName}' is not a BERT weight with a TensorFlow checkpoint name", nameof(hfName));

    /// <summary>
    /// The TensorFlow variable name for a Hugging Face key and whether the writer must transpose the tensor, or null
    /// for keys TensorFlow does not store (<c>embeddings.position_ids</c>, the tied <c>cls.predictions.decoder.*</c>).
    /// </summary>
    public static BertNameMapping? TryToTensorFlow(string hfName)
    {
        ArgumentNullException.ThrowIfNull(hfName);
        string name = hfName.StartsWith("bert.", StringComparison.Ordinal) ? hfName["bert.".Length..] : hfName;
        if (FixedInverse.TryGetValue(name, out var m))
            return m;
        var match = HfLayer.Match(name);
        if (match.Success && LayerInverse.TryGetValue(match.Groups[2].Value, out var suffix))
            return suffix with { Name = $"bert/encoder/layer_{match.Groups[1].Value}/{suffix.Name}" };
        return null;
    }

    /// <summary>
    /// All TensorFlow names of a model with <paramref name="numLayers"/> encoder layers (pooler included; with
    /// <paramref name="pretrainingHeads"/>, the <c>cls/*</c> heads too), in the map's order.
    /// </summary>
    public static IReadOnlyList<string> TensorFlowNames(int numLayers, bool pretrainingHeads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numLayers);
        var names = new List<string>();
        foreach (var n in Fixed.Keys)
        {
            if (n.StartsWith("bert/", StringComparison.Ordinal) || (pretrainingHeads && n.StartsWith("cls/", StringComparison.Ordinal)))
                names.Add(n);
        }
        for (int i = 0; i < numLayers; i++)
        {
            foreach (var suffix in Layer.Keys)
                names.Add(string.Create(CultureInfo.InvariantCulture, $"bert/encoder/layer_{i}/{suffix}"));
        }
        return names;
    }

    private static Dictionary<string, BertNameMapping> BuildFixed()
    {
        var d = new Dictionary<string, BertNameMapping>(StringComparer.Ordinal)
        {
            ["bert/embeddings/word_embeddings"] = new("embeddings.word_embeddings.weight", false),
            ["bert/embeddings/position_embeddings"] = new("embeddings.position_embeddings.weight", false),
            ["bert/embeddings/token_type_embeddings"] = new("embeddings.token_type_embeddings.weight", false),
            ["cls/predictions/output_bias"] = new("cls.predictions.bias", false),
            ["cls/seq_relationship/output_weights"] = new("cls.seq_relationship.weight", false),
            ["cls/seq_relationship/output_bias"] = new("cls.seq_relationship.bias", false),
            ["output_weights"] = new("classifier.weight", false),
            ["output_bias"] = new("classifier.bias", false),
        };
        AddLayerNorm(d, "bert/embeddings/LayerNorm", "embeddings.LayerNorm");
        AddDense(d, "bert/pooler/dense", "pooler.dense");
        AddDense(d, "cls/predictions/transform/dense", "cls.predictions.transform.dense");
        AddLayerNorm(d, "cls/predictions/transform/LayerNorm", "cls.predictions.transform.LayerNorm");
        return d;
    }

    private static Dictionary<string, BertNameMapping> BuildLayer()
    {
        var d = new Dictionary<string, BertNameMapping>(StringComparer.Ordinal);
        AddDense(d, "attention/self/query", "attention.self.query");
        AddDense(d, "attention/self/key", "attention.self.key");
        AddDense(d, "attention/self/value", "attention.self.value");
        AddDense(d, "attention/output/dense", "attention.output.dense");
        AddLayerNorm(d, "attention/output/LayerNorm", "attention.output.LayerNorm");
        AddDense(d, "intermediate/dense", "intermediate.dense");
        AddDense(d, "output/dense", "output.dense");
        AddLayerNorm(d, "output/LayerNorm", "output.LayerNorm");
        return d;
    }

    private static void AddDense(Dictionary<string, BertNameMapping> d, string tf, string hf)
    {
        d[tf + "/kernel"] = new(hf + ".weight", true);
        d[tf + "/bias"] = new(hf + ".bias", false);
    }

    private static void AddLayerNorm(Dictionary<string, BertNameMapping> d, string tf, string hf)
    {
        d[tf + "/gamma"] = new(hf + ".weight", false);
        d[tf + "/beta"] = new(hf + ".bias", false);
    }

    private static Dictionary<string, BertNameMapping> Invert(Dictionary<string, BertNameMapping> map) =>
        map.ToDictionary(kv => kv.Value.Name, kv => new BertNameMapping(kv.Key, kv.Value.Transpose), StringComparer.Ordinal);
}
