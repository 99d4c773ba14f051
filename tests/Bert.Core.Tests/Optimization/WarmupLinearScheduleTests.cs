using Bert.Core.Optimization;

namespace Bert.Core.Tests.Optimization;

public class WarmupLinearScheduleTests
{
    // lr 1e-4, W 32, D 320 (the TrainingSteps example): hand-computed.
    [Theory]
    [InlineData(1, 3.125e-6)]            // 1e-4 * 1/32
    [InlineData(16, 5e-5)]               // 1e-4 * 16/32
    [InlineData(32, 1e-4)]               // t = W: the peak
    [InlineData(33, 8.96875e-5)]         // 1e-4 * (1 - 33/320): the decay is measured from step 0, as in keras-bert
    [InlineData(160, 5e-5)]              // 1e-4 * (1 - 160/320)
    [InlineData(319, 3.125e-7)]          // 1e-4 * (1 - 319/320)
    [InlineData(320, 0.0)]               // t = D
    [InlineData(1000, 0.0)]              // t > D stays at min_lr
    public void Warms_up_linearly_then_decays_linearly_to_zero(long step, double expected) =>
        WarmupLinearSchedule.LearningRateAt(step, 1e-4, 32, 320).Should().BeApproximately(expected, 1e-18);

    [Theory]
    [InlineData(10, 5e-5)]               // warm-up ignores min_lr: 1e-4 * 10/20
    [InlineData(21, 8.11e-5)]            // 1e-5 + 9e-5 * (1 - 21/100)
    [InlineData(50, 5.5e-5)]             // 1e-5 + 9e-5 * 0.5
    [InlineData(100, 1e-5)]
    [InlineData(101, 1e-5)]
    public void Decays_to_the_minimum_learning_rate_and_stays_there(long step, double expected) =>
        WarmupLinearSchedule.LearningRateAt(step, 1e-4, 20, 100, 1e-5).Should().BeApproximately(expected, 1e-18);

    [Fact]
    public void No_warmup_starts_decaying_at_step_one() =>
        WarmupLinearSchedule.LearningRateAt(1, 0.1, 0, 10).Should().BeApproximately(0.09, 1e-16);

    [Fact]
    public void A_warmup_longer_than_the_decay_falls_to_the_minimum_after_the_peak()
    {
        WarmupLinearSchedule.LearningRateAt(20, 0.1, 20, 15, 0.01).Should().BeApproximately(0.1, 1e-16);
        WarmupLinearSchedule.LearningRateAt(21, 0.1, 20, 15, 0.01).Should().BeApproximately(0.01, 1e-16);
    }

    [Theory]
    [InlineData(0, 1e-4, 10, 100, 0, "step")]
    [InlineData(1, -1e-4, 10, 100, 0, "learningRate")]
    [InlineData(1, double.NaN, 10, 100, 0, "learningRate")]
    [InlineData(1, 1e-4, -1, 100, 0, "warmupSteps")]
    [InlineData(1, 1e-4, 10, 0, 0, "decaySteps")]
    [InlineData(1, 1e-4, 10, 100, -1e-6, "minLearningRate")]
    public void Rejects_arguments_out_of_range(long step, double lr, long warmup, long decay, double minLr, string parameter) =>
        FluentActions.Invoking(() => WarmupLinearSchedule.LearningRateAt(step, lr, warmup, decay, minLr))
            .Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be(parameter);
}
