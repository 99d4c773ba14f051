using Bert.Core.Modeling;
using Bert.Core.Training;
using Bert.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Classification;

/// <summary>
/// Classification batches: encoded inputs padded by <see cref="BertBatch.PaddedLength"/>, targets and class weights,
/// all created on the device through the one device helper (<see cref="DevicePlacement"/>). Used by the trainer and by
/// <see cref="TextClassifier"/>. Only the CPU is tested (no CUDA build is available here).
/// </summary>
internal sealed class ClassificationCollator
{
    private readonly int padId;
    private readonly int maxLength;
    private readonly int padMultiple;
    private readonly DevicePlacement placement;

    public ClassificationCollator(int padId, int maxLength, int padMultiple, Device? device)
    {
        this.padId = padId;
        this.maxLength = maxLength;
        this.padMultiple = padMultiple;
        placement = new DevicePlacement(device);
    }

    /// <summary>The device every tensor is created on.</summary>
    public Device Device => placement.Device;

    /// <summary>Moves the model's parameters and buffers to <see cref="Device"/> (no-op on the CPU).</summary>
    public void Place(nn.Module model) => placement.Place(model);

    /// <summary>
    /// (B, T) input ids, segment ids and mask on <see cref="Device"/>; T is the longest row rounded up to the pad
    /// multiple (dynamic padding) or <c>maxLength</c> when <paramref name="dynamicPadding"/> is false.
    /// </summary>
    public (Tensor InputIds, Tensor TokenTypeIds, Tensor AttentionMask) Inputs(IReadOnlyList<EncodedInput> rows, bool dynamicPadding = true)
    {
        int width = dynamicPadding ? BertBatch.PaddedLength(rows.Max(x => x.Length), padMultiple, maxLength) : maxLength;
        // Callers hold a dispose scope, which frees the CPU batch and its device copy together.
        var batch = BertBatch.Collate(rows, padId, width);
        return (placement.To(batch.InputIds), placement.To(batch.TokenTypeIds), placement.To(batch.AttentionMask));
    }

    /// <summary>Class indices (B) int64, for single-label cross-entropy.</summary>
    public Tensor Classes(long[] targets, int[] rows) => tensor(rows.Select(i => targets[i]).ToArray(), ScalarType.Int64, Device);

    /// <summary>Float targets (B, width): 0/1 label indicators (width = labels) or values (width 1, returned as (B)).</summary>
    public Tensor Floats(float[] targets, int width, int[] rows)
    {
        var values = new float[rows.Length * width];
        for (int r = 0; r < rows.Length; r++)
            Array.Copy(targets, rows[r] * width, values, r * width, width);
        return width == 1 ? tensor(values, ScalarType.Float32, Device) : tensor(values, [rows.Length, width], ScalarType.Float32, Device);
    }

    /// <summary>A float vector on <see cref="Device"/>, e.g. class weights.</summary>
    public Tensor Vector(float[] values) => tensor(values, ScalarType.Float32, Device);
}
