namespace Bert.Core.Optimization;

/// <summary>
/// Settings of <see cref="AdamWarmup"/>, keras-bert's <c>AdamWarmup</c>: Adam with a linear warm-up and a linear
/// decay of the learning rate (<see cref="WarmupLinearSchedule"/>), decoupled weight decay with a name filter,
/// AMSGrad and optional global gradient-norm clipping.
/// </summary>
/// <remarks>
/// Typical fine-tuning setup, with the step counts from <see cref="TrainingSteps.Calculate"/>:
/// <code>
/// var (total, warmup) = TrainingSteps.Calculate(trainCount, batchSize: 16, epochs: 10);
/// var options = new AdamWarmupOptions { LearningRate = 1e-4, WarmupSteps = warmup, DecaySteps = total };
/// </code>
/// </remarks>
public sealed class AdamWarmupOptions
{
    /// <summary>
    /// The name substrings of BERT parameters that Google's BERT (<c>optimization.py</c>) and Hugging Face exclude
    /// from weight decay: <c>"bias"</c> and <c>"LayerNorm"</c> (matching <c>encoder.layer.0.output.dense.bias</c>,
    /// <c>embeddings.LayerNorm.weight</c>, and TensorFlow's <c>.../LayerNorm/gamma</c>).
    /// </summary>
    public static IReadOnlyList<string> BertNoDecay { get; } = Array.AsReadOnly(new[] { "bias", "LayerNorm" });

    /// <summary>
    /// The peak learning rate <c>lr</c>, reached at the end of the warm-up. Default 1e-4, the rate of BERT fine-tuning
    /// and of the reference KNBC run (keras-bert's own default is 1e-3, meant for training from scratch).
    /// </summary>
    public double LearningRate { get; set; } = 1e-4;

    /// <summary>Warm-up length <c>W</c> in optimizer steps (the rate rises linearly to <see cref="LearningRate"/>); 0 for none. Default 0.</summary>
    public long WarmupSteps { get; set; }

    /// <summary>
    /// The step <c>D</c> at which the rate has decayed linearly to <see cref="MinLearningRate"/>; usually the total number
    /// of training steps. Required (at least 1); the default 0 fails <see cref="Validate"/> on purpose, as keras-bert
    /// requires <c>decay_steps</c>.
    /// </summary>
    public long DecaySteps { get; set; }

    /// <summary>The floor <c>min_lr</c> of the decay, kept after step <see cref="DecaySteps"/>. Default 0.</summary>
    public double MinLearningRate { get; set; }

    /// <summary>Exponential decay rate <c>b1</c> of the first moment. Default 0.9.</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>Exponential decay rate <c>b2</c> of the second moment. Default 0.999.</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>
    /// The fuzz factor <c>eps</c> added to <c>sqrt(v)</c> (not to the bias-corrected <c>sqrt(v / (1 - b2^t))</c> as in
    /// PyTorch: see <see cref="AdamWarmup"/>). Default 1e-7, keras' <c>K.epsilon()</c> that keras-bert uses.
    /// </summary>
    public double Epsilon { get; set; } = 1e-7;

    /// <summary>
    /// Decoupled weight-decay rate <c>wd</c>: <c>wd * theta</c> is added to the update of every parameter whose name
    /// contains none of <see cref="WeightDecayExclusions"/>, then scaled by the step's learning rate. Default 0 (off).
    /// </summary>
    public double WeightDecay { get; set; }

    /// <summary>
    /// Name substrings (ordinal, case-sensitive) of parameters that get no weight decay. Default
    /// <see cref="BertNoDecay"/> (<c>bias</c>, <c>LayerNorm</c>); an empty list decays every parameter.
    /// keras-bert states the opposite (<c>weight_decay_pattern</c>, the substrings that DO decay; <c>None</c> decays
    /// everything), so its default corresponds to an empty list here. Only applies when the optimizer is built from
    /// named parameters.
    /// </summary>
    public IReadOnlyList<string> WeightDecayExclusions { get; set; } = BertNoDecay;

    /// <summary>Use AMSGrad: the running maximum of <c>v</c> replaces <c>v</c> in the update. Default false.</summary>
    public bool Amsgrad { get; set; }

    /// <summary>
    /// Clip the gradients to this global L2 norm, taken over all parameters that have a gradient, before the moments
    /// are updated, as <c>torch.nn.utils.clip_grad_norm_</c> does: scale by <c>MaxGradNorm / (norm + 1e-6)</c> when that
    /// is below 1. The <c>.grad</c> tensors themselves are left as they are (the factor is applied inside the update);
    /// the norm is reported by <see cref="AdamWarmup.LastGradNorm"/>. <see langword="null"/> (default) for no clipping.
    /// keras-bert has no clipping; keras' <c>clipnorm</c> clips each tensor separately.
    /// </summary>
    public double? MaxGradNorm { get; set; }

    /// <summary>Checks every setting and throws on the first one out of range.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names the property and the valid range.</exception>
    public void Validate()
    {
        if (!IsFinite(LearningRate) || LearningRate <= 0)
            throw Invalid(nameof(LearningRate), LearningRate, "must be a finite number > 0 (BERT fine-tuning uses 1e-5 to 1e-4)");
        if (WarmupSteps < 0)
            throw Invalid(nameof(WarmupSteps), WarmupSteps, "must be >= 0 (0 for no warm-up)");
        if (DecaySteps < 1)
            throw Invalid(nameof(DecaySteps), DecaySteps,
                "must be >= 1: set it to the total number of training steps, e.g. from TrainingSteps.Calculate");
        if (!IsFinite(MinLearningRate) || MinLearningRate < 0 || MinLearningRate > LearningRate)
            throw Invalid(nameof(MinLearningRate), MinLearningRate, $"must be in [0, LearningRate = {LearningRate}]");
        if (!IsFinite(Beta1) || Beta1 < 0 || Beta1 >= 1)
            throw Invalid(nameof(Beta1), Beta1, "must be in [0, 1)");
        if (!IsFinite(Beta2) || Beta2 < 0 || Beta2 >= 1)
            throw Invalid(nameof(Beta2), Beta2, "must be in [0, 1)");
        if (!IsFinite(Epsilon) || Epsilon <= 0)
            throw Invalid(nameof(Epsilon), Epsilon, "must be a finite number > 0");
        if (!IsFinite(WeightDecay) || WeightDecay < 0)
            throw Invalid(nameof(WeightDecay), WeightDecay, "must be a finite number >= 0");
        if (WeightDecayExclusions is null)
            throw new ArgumentException($"{nameof(WeightDecayExclusions)} must not be null; use an empty list to decay every parameter.",
                nameof(WeightDecayExclusions));
        for (var i = 0; i < WeightDecayExclusions.Count; i++)
        {
            if (string.IsNullOrEmpty(WeightDecayExclusions[i]))
                throw new ArgumentException(
                    $"{nameof(WeightDecayExclusions)}[{i}] is null or empty; an empty substring would exclude every parameter.",
                    nameof(WeightDecayExclusions));
        }
        if (MaxGradNorm is { } maxNorm && (!IsFinite(maxNorm) || maxNorm <= 0))
            throw Invalid(nameof(MaxGradNorm), maxNorm, "must be a finite number > 0, or null for no clipping");
    }

    /// <summary>The scheduled learning rate of step <paramref name="step"/> (from 1) under these settings.</summary>
    /// <param name="step">The step being taken, counted from 1.</param>
    /// <returns><see cref="WarmupLinearSchedule.LearningRateAt"/> with these settings.</returns>
    public double LearningRateAt(long step) =>
        WarmupLinearSchedule.LearningRateAt(step, LearningRate, WarmupSteps, DecaySteps, MinLearningRate);

    internal AdamWarmupOptions Clone() => new()
    {
        LearningRate = LearningRate,
        WarmupSteps = WarmupSteps,
        DecaySteps = DecaySteps,
        MinLearningRate = MinLearningRate,
        Beta1 = Beta1,
        Beta2 = Beta2,
        Epsilon = Epsilon,
        WeightDecay = WeightDecay,
        WeightDecayExclusions = WeightDecayExclusions.ToArray(),
        Amsgrad = Amsgrad,
        MaxGradNorm = MaxGradNorm,
    };

    private static bool IsFinite(double value) => double.IsFinite(value);

    private static ArgumentException Invalid(string property, object value, string rule) =>
        new($"{property} is {value} but {rule}.", property);
}
