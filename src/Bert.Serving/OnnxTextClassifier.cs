using Bert.Tokenization;

namespace Bert.Serving;

/// <summary>
/// A classifier exported by Bert.NET (<c>bert export-onnx</c>, <c>ClassifierOnnxExport.Export</c>) served with ONNX
/// Runtime: the tokenizer it was trained with, the ONNX graph and its labels, and no TorchSharp or libtorch.
/// Prediction is batched and safe to call from many threads at once. After <see cref="Dispose"/> the prediction
/// methods throw <see cref="ObjectDisposedException"/>; the labels and settings stay readable.
/// </summary>
public sealed class OnnxTextClassifier : IDisposable
{
    /// <summary>The graph output this class reads.</summary>
    public const string LogitsOutput = "logits";

    private readonly OnnxBertSession session;
    private readonly IBertIndexer indexer;
    private readonly string[] labels;
    private readonly DisposalGuard guard;

    private OnnxTextClassifier(OnnxBertSession session, IBertIndexer indexer, string[] labels, OnnxProblemType problemType, int maxLength, float threshold)
    {
        this.session = session;
        guard = new DisposalGuard(session.Dispose);
        this.indexer = indexer;
        this.labels = labels;
        ProblemType = problemType;
        MaxSequenceLength = maxLength;
        MultiLabelThreshold = threshold;
    }

    /// <summary>Label names, in the order of the model's outputs (one name for regression).</summary>
    public IReadOnlyList<string> Labels => labels;

    /// <summary>The problem type the classifier was trained for.</summary>
    public OnnxProblemType ProblemType { get; }

    /// <summary>Texts (and pairs) are truncated to this many pieces, [CLS] and [SEP] included.</summary>
    public int MaxSequenceLength { get; }

    /// <summary>Multi-label: a label is predicted when its probability is at least this.</summary>
    public float MultiLabelThreshold { get; }

    /// <summary>The tokenizer (the one the classifier was trained with).</summary>
    public IBertIndexer Indexer => indexer;

    /// <summary>
    /// Whether the exported model was trained on sentence pairs (true) or single texts (false), from <c>serving.json</c>'s
    /// <c>pairs</c>; null when the export did not record it (no check). When known, the other kind of input is refused.
    /// </summary>
    public bool? Pairs { get; private init; }

    /// <summary>Loads an exported folder: <c>serving.json</c>, the model it names and the tokenizer file.</summary>
    /// <param name="folder">The folder written by the export.</param>
    /// <param name="options">Threads and threshold; null for the defaults.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is missing or malformed, or the model lacks the expected inputs/outputs.</exception>
    public static OnnxTextClassifier Load(string folder, OnnxTextClassifierOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        options ??= new OnnxTextClassifierOptions();
        options.Validate();
        using var manifest = ServingManifest.Read(folder, ServingManifest.ClassifierFormat);
        var (problemType, labels, threshold) = manifest.ReadClassifier();
        var indexer = manifest.LoadIndexer();
        var session = new OnnxBertSession(manifest.ModelPath, LogitsOutput, options.IntraOpThreads);
        try
        {
            if (session.OutputWidth != labels.Length)
                throw new InvalidDataException($"{manifest.ModelPath} outputs {session.OutputWidth} logits but {ServingManifest.FileName} lists {labels.Length} labels.");
            manifest.CheckLength(session.MaxPositions);
        }
        catch
        {
            session.Dispose();
            throw;
        }
        return new OnnxTextClassifier(session, indexer, labels, problemType, manifest.MaxSequenceLength, options.MultiLabelThreshold ?? threshold)
        {
            Pairs = JsonFields.OptionalBool(manifest.Root, "pairs", "pairs", manifest.Path),
        };
    }

    /// <summary>Predicts one text.</summary>
    /// <exception cref="ObjectDisposedException">The classifier was disposed.</exception>
    public OnnxPrediction Predict(string text)
    {
        using var call = guard.Enter(this);
        ArgumentNullException.ThrowIfNull(text);
        return PredictBatch([text])[0];
    }

    /// <summary>Predicts one text pair (<c>[CLS] text [SEP] pair [SEP]</c>).</summary>
    /// <exception cref="ObjectDisposedException">The classifier was disposed.</exception>
    public OnnxPrediction Predict(string text, string pair)
    {
        using var call = guard.Enter(this);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(pair);
        return PredictBatch([text], [pair])[0];
    }

    /// <summary>Predicts many texts (or pairs), longest first in batches padded to their own longest; results in input order.</summary>
    /// <param name="texts">The texts.</param>
    /// <param name="pairs">Second texts, one per text, or null.</param>
    /// <param name="batchSize">Texts per model run.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <exception cref="ObjectDisposedException">The classifier was disposed.</exception>
    public IReadOnlyList<OnnxPrediction> PredictBatch(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null, int batchSize = 32, CancellationToken cancellationToken = default)
    {
        using var call = guard.Enter(this);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (pairs is not null && pairs.Count != texts.Count)
            throw new ArgumentException($"{pairs.Count} pairs were given for {texts.Count} texts.", nameof(pairs));
        PairCheck.Check(Pairs, pairs is not null);
        for (int i = 0; i < texts.Count; i++)
        {
            if (texts[i] is null) throw new ArgumentNullException(nameof(texts), $"Text {i} is null.");
            if (pairs is not null && pairs[i] is null) throw new ArgumentNullException(nameof(pairs), $"Pair {i} is null.");
        }
        if (texts.Count == 0) return [];
        var logits = session.Run(indexer.EncodeMany(texts, pairs), indexer.PadId, batchSize, cancellationToken);
        return [.. logits.Select(ToPrediction)];
    }

    private OnnxPrediction ToPrediction(float[] logits)
    {
        if (ProblemType == OnnxProblemType.Regression)
            return new OnnxPrediction { ProblemType = ProblemType, Value = logits[0], Logits = logits };
        var probabilities = ProblemType == OnnxProblemType.SingleLabel ? Softmax(logits) : [.. logits.Select(Sigmoid)];
        var all = labels.Select((l, k) => new KeyValuePair<string, float>(l, probabilities[k])).ToArray();
        if (ProblemType == OnnxProblemType.MultiLabel)
        {
            // Multi-label predicts a set: the labels at or above the threshold, possibly none. No single "top" label, as
            // TextClassifier's Prediction (the top one would be reported even when nothing passes the threshold).
            return new OnnxPrediction
            {
                ProblemType = ProblemType,
                Labels = labels.Where((_, k) => probabilities[k] >= MultiLabelThreshold).ToArray(),
                Probabilities = all,
                Logits = logits,
            };
        }
        int best = 0;
        for (int k = 1; k < probabilities.Length; k++) if (probabilities[k] > probabilities[best]) best = k;
        return new OnnxPrediction
        {
            ProblemType = ProblemType,
            Label = labels[best],
            Probability = probabilities[best],
            Labels = [labels[best]],
            Probabilities = all,
            Logits = logits,
        };
    }

    private static float[] Softmax(float[] logits)
    {
        double max = logits.Max(), sum = 0;
        var e = logits.Select(x => Math.Exp(x - max)).ToArray();
        foreach (var v in e) sum += v;
        return [.. e.Select(v => (float)(v / sum))];
    }

    private static float Sigmoid(float x) => (float)(1.0 / (1.0 + Math.Exp(-x)));

    /// <summary>
    /// Releases the ONNX Runtime session once the calls running on other threads have finished; predictions that start
    /// from now on throw <see cref="ObjectDisposedException"/>. Called from inside one of this classifier's calls, it returns
    /// at once and the session is released when that call leaves. Calling it again does nothing.
    /// </summary>
    public void Dispose() => guard.Dispose();
}
