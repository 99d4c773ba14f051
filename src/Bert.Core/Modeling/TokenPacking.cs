using static TorchSharp.torch;

namespace Bert.Core.Modeling;

/// <summary>
/// The real (unmasked) tokens of a padded (B, T) batch: the per-token parts of BERT (projections, feed-forward,
/// LayerNorm, residuals) run on the N real tokens as an (N, H) matrix, and only self-attention sees the padded
/// (B, T, H) layout. Padding does no work except inside attention, where it is masked anyway.
/// </summary>
internal sealed class TokenPacking : IDisposable
{
    private readonly Tensor indices;

    private TokenPacking(Tensor indices, long batch, long length)
    {
        this.indices = indices;
        Batch = batch;
        Length = length;
    }

    /// <summary>B of the padded layout.</summary>
    public long Batch { get; }

    /// <summary>T of the padded layout.</summary>
    public long Length { get; }

    /// <summary>N, the number of real tokens.</summary>
    public long Tokens => indices.size(0);

    /// <summary>
    /// The packing of a (B, T) 0/1 attention mask, or null when packing would not remove at least
    /// <paramref name="minPaddedFraction"/> of the positions (or the batch has no real token).
    /// </summary>
    public static TokenPacking? Create(Tensor attentionMask, double minPaddedFraction)
    {
        long batch = attentionMask.shape[0], length = attentionMask.shape[1];
        var indices = attentionMask.reshape(-1).nonzero().squeeze(1);   // (N) flat positions b * T + t of real tokens
        long tokens = indices.shape[0];
        if (tokens == 0 || tokens > (1 - minPaddedFraction) * batch * length)
        {
            indices.Dispose();
            return null;
        }
        return new TokenPacking(indices, batch, length);
    }

    /// <summary>(B, T, H) to (N, H): the real tokens' rows.</summary>
    public Tensor Pack(Tensor padded) => padded.reshape(Batch * Length, padded.size(-1)).index_select(0, indices);

    /// <summary>(N, H) to (B, T, H), zeros at padding positions (differentiable).</summary>
    public Tensor Unpack(Tensor packed)
    {
        long hidden = packed.size(-1);
        return zeros(new[] { Batch * Length, hidden }, packed.dtype, packed.device)
            .index_copy(0, indices, packed)
            .view(Batch, Length, hidden);
    }

    /// <summary>Frees the index tensor.</summary>
    public void Dispose() => indices.Dispose();
}
