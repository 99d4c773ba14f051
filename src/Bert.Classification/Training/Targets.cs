using static TorchSharp.torch;

namespace Bert.Classification.Training;

/// <summary>Training targets: class indices (single-label) or float rows of a given width (multi-label indicators, regression values).</summary>
internal sealed record Targets(long[]? Classes, float[]? Floats, int Width)
{
    public Tensor Select(ClassificationCollator collator, int[] rows) =>
        Classes is not null ? collator.Classes(Classes, rows) : collator.Floats(Floats!, Width, rows);
}
