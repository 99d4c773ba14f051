namespace Bert.Core.Optimization;

/// <summary>
/// The learning-rate schedule of keras-bert's <c>AdamWarmup</c>: a linear warm-up to the peak rate,
/// then a linear decay towards a minimum rate. A pure function, so it can be printed, plotted and tested.
/// </summary>
/// <remarks>
/// <para>For the optimizer step <c>t = 1, 2, ...</c> (the step being taken, counted from 1):</para>
/// <code>
/// lr_s = lr * t / W                                    if t &lt;= W
/// lr_s = min_lr + (lr - min_lr) * (1 - min(t, D) / D)   otherwise
/// </code>
/// <para>Behaviour at the boundaries, identical to keras-bert (<c>keras_bert/optimizers/warmup.py</c>,
/// <c>warmup_v2.py</c>):</para>
/// <list type="bullet">
/// <item><description><c>t = W</c> gives the peak rate <c>lr</c>.</description></item>
/// <item><description>The decay is measured from step 0, not from the end of the warm-up: step <c>W + 1</c> gives
/// <c>min_lr + (lr - min_lr) * (1 - (W + 1) / D)</c>, a small drop below the peak, and the rate reaches
/// <c>min_lr</c> at <c>t = D</c>, whatever <c>W</c> is.</description></item>
/// <item><description><c>t &gt; D</c> stays at <c>min_lr</c> (0 by default: such steps leave the parameters
/// unchanged).</description></item>
/// <item><description><c>W = 0</c> means no warm-up: step 1 already decays, <c>lr * (1 - 1/D)</c>.</description></item>
/// <item><description><c>W &gt;= D</c> is allowed, as in keras-bert: the warm-up runs to the peak, then the rate
/// falls straight to <c>min_lr</c>.</description></item>
/// </list>
/// <para>keras-bert evaluates this in float32 tensors; here it is evaluated in double precision.</para>
/// </remarks>
public static class WarmupLinearSchedule
{
    /// <summary>The scheduled learning rate <c>lr_s</c> of optimizer step <paramref name="step"/>.</summary>
    /// <param name="step">The step being taken, counted from 1 (the first update is step 1).</param>
    /// <param name="learningRate">The peak learning rate <c>lr</c>, reached at the end of the warm-up; at least 0.</param>
    /// <param name="warmupSteps">The warm-up length <c>W</c>; 0 for none.</param>
    /// <param name="decaySteps">The step <c>D</c> at which the rate reaches <paramref name="minLearningRate"/>; at least 1.
    /// Usually the total number of training steps (see <see cref="TrainingSteps.Calculate"/>).</param>
    /// <param name="minLearningRate">The floor <c>min_lr</c> of the decay; at least 0.</param>
    /// <returns>The learning rate of that step.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range (see each parameter).</exception>
    public static double LearningRateAt(long step, double learningRate, long warmupSteps, long decaySteps, double minLearningRate = 0)
    {
        if (step < 1)
            throw new ArgumentOutOfRangeException(nameof(step), step, "The step is counted from 1 (the first optimizer update).");
        if (!(learningRate >= 0) || double.IsInfinity(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be a finite number >= 0.");
        if (warmupSteps < 0)
            throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "The number of warm-up steps must be >= 0.");
        if (decaySteps < 1)
            throw new ArgumentOutOfRangeException(nameof(decaySteps), decaySteps, "The number of decay steps must be >= 1.");
        if (!(minLearningRate >= 0) || double.IsInfinity(minLearningRate))
            throw new ArgumentOutOfRangeException(nameof(minLearningRate), minLearningRate, "The minimum learning rate must be a finite number >= 0.");

        if (step <= warmupSteps)
            return learningRate * ((double)step / warmupSteps);
        var progress = (double)Math.Min(step, decaySteps) / decaySteps;
        return minLearningRate + (learningRate - minLearningRate) * (1.0 - progress);
    }
}
