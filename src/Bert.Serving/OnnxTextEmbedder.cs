using Bert.Tokenization;

namespace Bert.Serving;

/// <summary>
/// A sentence embedder exported by Bert.NET (<c>OnnxExport.ExportEmbedderFolder</c>) served with ONNX Runtime: one
/// vector per text (or pair), pooled and optionally L2-normalised inside the graph. Batched and thread-safe; no
/// TorchSharp or libtorch. After <see cref="Dispose"/> the embedding methods throw <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed class OnnxTextEmbedder : IDisposable
{
    /// <summary>The graph output this class reads.</summary>
    public const string EmbeddingOutput = "sentence_embedding";

    private readonly OnnxBertSession session;
    private readonly IBertIndexer indexer;
    private readonly DisposalGuard guard;

    private OnnxTextEmbedder(OnnxBertSession session, IBertIndexer indexer, string pooling, bool normalized, int maxLength)
    {
        this.session = session;
        guard = new DisposalGuard(session.Dispose);
        this.indexer = indexer;
        Pooling = pooling;
        Normalized = normalized;
        MaxSequenceLength = maxLength;
    }

    /// <summary>The width of the vectors.</summary>
    public int Dimensions => session.OutputWidth;

    /// <summary>How token vectors were pooled (<c>Mean</c>, <c>Cls</c> or <c>Pooler</c>).</summary>
    public string Pooling { get; }

    /// <summary>Whether the vectors have unit L2 norm (cosine similarity is their dot product).</summary>
    public bool Normalized { get; }

    /// <summary>Texts are truncated to this many pieces, [CLS] and [SEP] included.</summary>
    public int MaxSequenceLength { get; }

    /// <summary>Loads an exported embedder folder: <c>serving.json</c>, the model and the tokenizer file.</summary>
    /// <param name="folder">The folder written by the export.</param>
    /// <param name="intraOpThreads">ONNX Runtime threads per call; 0 lets it choose.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is missing or malformed.</exception>
    public static OnnxTextEmbedder Load(string folder, int intraOpThreads = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentOutOfRangeException.ThrowIfNegative(intraOpThreads);
        using var manifest = ServingManifest.Read(folder, ServingManifest.EmbedderFormat);
        var (pooling, normalized, dimensions) = manifest.ReadEmbedder();
        var indexer = manifest.LoadIndexer();
        var session = new OnnxBertSession(manifest.ModelPath, EmbeddingOutput, intraOpThreads);
        try
        {
            if (session.OutputWidth != dimensions)
                throw new InvalidDataException($"{manifest.ModelPath} outputs vectors of {session.OutputWidth} but {ServingManifest.FileName} says {dimensions}.");
            manifest.CheckLength(session.MaxPositions);
        }
        catch
        {
            session.Dispose();
            throw;
        }
        return new OnnxTextEmbedder(session, indexer, pooling, normalized, manifest.MaxSequenceLength);
    }

    /// <summary>The vector of one text (or pair).</summary>
    /// <exception cref="ObjectDisposedException">The embedder was disposed.</exception>
    public float[] Embed(string text, string? pair = null)
    {
        using var call = guard.Enter(this);
        ArgumentNullException.ThrowIfNull(text);
        return EmbedBatch([text], pair is null ? null : [pair])[0];
    }

    /// <summary>The vectors of many texts (or pairs), longest first in batches padded to their own longest; results in input order.</summary>
    /// <param name="texts">The texts.</param>
    /// <param name="pairs">Second texts, one per text, or null.</param>
    /// <param name="batchSize">Texts per model run.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <exception cref="ObjectDisposedException">The embedder was disposed.</exception>
    public IReadOnlyList<float[]> EmbedBatch(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null, int batchSize = 32, CancellationToken cancellationToken = default)
    {
        using var call = guard.Enter(this);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (texts.Count == 0) return [];
        return session.Run(indexer.EncodeMany(texts, pairs), indexer.PadId, batchSize, cancellationToken);
    }

    /// <summary>
    /// Releases the ONNX Runtime session once the calls running on other threads have finished; calls to embed that start
    /// from now on throw <see cref="ObjectDisposedException"/>. Called from inside one of this embedder's calls, it returns
    /// at once and the session is released when that call leaves. Calling it again does nothing.
    /// </summary>
    public void Dispose() => guard.Dispose();
}
