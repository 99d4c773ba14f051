namespace Bert.Core.Modeling;

/// <summary>How BERT's outputs become one vector per text (see <see cref="BertPooling"/>).</summary>
public enum PoolingStrategy
{
    /// <summary>The pooler output: tanh dense on the [CLS] vector (keras-bert's <c>NSP-Dense</c>; the reference run's choice).</summary>
    Pooler,

    /// <summary>The raw last-layer [CLS] vector, without the pooler.</summary>
    Cls,

    /// <summary>The mean of the last layer over real tokens (attention mask 1); sentence-transformers' mean pooling.</summary>
    MaskedMean,

    /// <summary>The element-wise maximum over real tokens (keras-bert's <c>MaskedGlobalMaxPool1D</c>).</summary>
    MaskedMax,

    /// <summary>The [CLS] vectors of the last k layers concatenated (keras-bert's <c>output_layer_num</c>).</summary>
    ConcatLastLayers,
}
