using static TorchSharp.torch;

namespace Bert.Core.Modeling;

/// <summary>
/// Turns a <see cref="BertModelOutput"/> into one vector per text with a <see cref="PoolingStrategy"/>: the one
/// implementation behind the classification head and the sentence embedder.
/// </summary>
public static class BertPooling
{
    /// <summary>Whether <paramref name="pooling"/> reads every layer's hidden states (pass <c>outputHiddenStates</c> to <see cref="BertModel"/>).</summary>
    public static bool NeedsHiddenStates(PoolingStrategy pooling) => pooling == PoolingStrategy.ConcatLastLayers;

    /// <summary>The length of the pooled vector: <paramref name="hiddenSize"/>, or k times it for <see cref="PoolingStrategy.ConcatLastLayers"/>.</summary>
    /// <param name="pooling">The strategy.</param>
    /// <param name="hiddenSize">The model's hidden size H.</param>
    /// <param name="concatLayers">k, the number of concatenated layers (only read for <see cref="PoolingStrategy.ConcatLastLayers"/>).</param>
    public static int OutputSize(PoolingStrategy pooling, int hiddenSize, int concatLayers) =>
        pooling == PoolingStrategy.ConcatLastLayers ? hiddenSize * concatLayers : hiddenSize;

    /// <summary>
    /// The pooled vectors (B, H) — (B, k*H) for <see cref="PoolingStrategy.ConcatLastLayers"/> — of a batch. Mean and
    /// max run over the real tokens only (attention mask 1), so padding never changes a row's vector.
    /// </summary>
    /// <param name="output">The model's output; with hidden states for <see cref="PoolingStrategy.ConcatLastLayers"/>.</param>
    /// <param name="attentionMask">The (B, T) mask the model ran with, 1 on real tokens.</param>
    /// <param name="pooling">The strategy.</param>
    /// <param name="concatLayers">k for <see cref="PoolingStrategy.ConcatLastLayers"/>: between 1 and the number of layers.</param>
    /// <exception cref="ArgumentException">An unknown strategy, or hidden states missing or fewer than k layers.</exception>
    public static Tensor Pool(BertModelOutput output, Tensor attentionMask, PoolingStrategy pooling, int concatLayers = 4)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(attentionMask);
        switch (pooling)
        {
            case PoolingStrategy.Pooler:
                return output.PooledOutput.alias();
            case PoolingStrategy.Cls:
                return output.SequenceOutput.select(1, 0); // (B, T, H) -> (B, H)
            case PoolingStrategy.MaskedMean:
            {
                var mask = attentionMask.unsqueeze(-1).to(output.SequenceOutput.dtype); // (B, T) -> (B, T, 1)
                var sum = (output.SequenceOutput * mask).sum(1);                            // (B, H)
                return sum / mask.sum(1).clamp_min(1);
            }
            case PoolingStrategy.MaskedMax:
            {
                var pad = attentionMask.unsqueeze(-1).eq(0);                                   // (B, T, 1)
                return output.SequenceOutput.masked_fill(pad, float.NegativeInfinity).amax(1); // (B, H)
            }
            case PoolingStrategy.ConcatLastLayers:
            {
                var states = output.HiddenStates
                    ?? throw new ArgumentException("ConcatLastLayers pooling needs the hidden states: run BertModel with outputHiddenStates.", nameof(output));
                if (concatLayers < 1 || concatLayers > states.Count - 1)
                    throw new ArgumentException($"concatLayers must be between 1 and the model's {states.Count - 1} layers; it is {concatLayers}.", nameof(concatLayers));
                var last = states.Skip(states.Count - concatLayers).Select(h => h.select(1, 0)).ToArray(); // k x (B, H)
                return cat(last, 1);                                                                        // (B, k*H)
            }
            default:
                throw new ArgumentException($"Unknown pooling strategy {(int)pooling}.", nameof(pooling));
        }
    }
}
