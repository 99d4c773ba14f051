namespace Bert.Core.Optimization;

/// <summary>
/// Training-step arithmetic of keras-bert's <c>calc_train_steps</c>: how many optimizer steps a run takes and how
/// many of them warm up, for <see cref="AdamWarmupOptions.DecaySteps"/> and <see cref="AdamWarmupOptions.WarmupSteps"/>.
/// </summary>
public static class TrainingSteps
{
    /// <summary>
    /// The total and warm-up step counts of a run: <c>total = ceil(numExamples / batchSize) * epochs</c> (the last,
    /// partial batch of each epoch counts as a step) and <c>warmup = floor(total * warmupProportion)</c>.
    /// </summary>
    /// <param name="numExamples">Training examples per epoch; at least 1.</param>
    /// <param name="batchSize">Examples per batch; at least 1.</param>
    /// <param name="epochs">Number of epochs; at least 1.</param>
    /// <param name="warmupProportion">Share of the total steps that warm up, in [0, 1]; 0.1 as in keras-bert.</param>
    /// <returns>The total steps and the warm-up steps; <c>(1024, 32, 10)</c> gives <c>(320, 32)</c>.</returns>
    /// <remarks>
    /// The warm-up is the double-precision product truncated towards zero, exactly like Python's
    /// <c>int(total * warmup_proportion)</c> in keras-bert, including its rounding: <c>(100, 1, 1, 0.29)</c> gives
    /// 28 warm-up steps because <c>100 * 0.29</c> is 28.999999999999996 in binary floating point.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range, or the total exceeds <see cref="int.MaxValue"/>.</exception>
    public static (int TotalSteps, int WarmupSteps) Calculate(int numExamples, int batchSize, int epochs, double warmupProportion = 0.1)
    {
        if (numExamples < 1)
            throw new ArgumentOutOfRangeException(nameof(numExamples), numExamples, "The number of training examples must be >= 1.");
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be >= 1.");
        if (epochs < 1)
            throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "The number of epochs must be >= 1.");
        if (!(warmupProportion >= 0 && warmupProportion <= 1))
            throw new ArgumentOutOfRangeException(nameof(warmupProportion), warmupProportion, "The warm-up proportion must be in [0, 1].");

        long stepsPerEpoch = ((long)numExamples + batchSize - 1) / batchSize;
        long total = stepsPerEpoch * epochs;
        if (total > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(epochs), epochs,
                $"{stepsPerEpoch} steps per epoch times {epochs} epochs is {total} steps, more than {int.MaxValue}.");
        var warmup = (int)Math.Floor(total * warmupProportion);
        return ((int)total, warmup);
    }
}
