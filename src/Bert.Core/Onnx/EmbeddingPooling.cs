namespace Bert.Core.Onnx;

/// <summary>How an exported embedder turns BERT's outputs into one vector per text.</summary>
public enum EmbeddingPooling
{
    /// <summary>The mean of the last layer over real tokens (attention mask 1), as sentence-transformers' mean pooling.</summary>
    Mean,

    /// <summary>The last layer's [CLS] vector.</summary>
    Cls,

    /// <summary>The pooler output: tanh dense on the [CLS] vector.</summary>
    Pooler,
}
