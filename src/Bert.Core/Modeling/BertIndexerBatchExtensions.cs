using Bert.Tokenization;

namespace Bert.Core.Modeling;

/// <summary>Encodes texts straight into tensors: the TorchSharp side of an <see cref="IBertIndexer"/>.</summary>
public static class BertIndexerBatchExtensions
{
    /// <summary>Encodes texts (and, when given, their pairs) into int64 tensors of shape (B, T) ready for BertModel; dispose the batch.</summary>
    /// <param name="indexer">The indexer.</param>
    /// <param name="texts">The texts.</param>
    /// <param name="pairs">The second texts of pairs (the same count), or null.</param>
    public static BertBatch EncodeBatch(this IBertIndexer indexer, IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null)
    {
        ArgumentNullException.ThrowIfNull(indexer);
        return BertBatch.Collate(indexer.EncodeMany(texts, pairs), indexer.PadId);
    }
}
