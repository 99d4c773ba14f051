using Bert.Core.Optimization;

namespace Bert.Core.Tests.Optimization;

public class TrainingStepsTests
{
    [Theory]
    [InlineData(1024, 32, 10, 0.1, 320, 32)]   // keras-bert's calc_train_steps docstring
    [InlineData(1000, 32, 3, 0.1, 96, 9)]      // ceil(31.25) = 32 per epoch; floor(9.6)
    [InlineData(3767, 16, 10, 0.1, 2360, 236)] // the reference KNBC run: 3767 training sentences, batch 16, 10 epochs
    [InlineData(16, 16, 1, 0.1, 1, 0)]
    [InlineData(17, 16, 2, 0.5, 4, 2)]         // the partial last batch counts
    [InlineData(100, 1, 1, 0.29, 100, 28)]     // Python's int(100 * 0.29) is 28 (28.999999999999996)
    [InlineData(100, 10, 1, 0.0, 10, 0)]
    [InlineData(100, 10, 1, 1.0, 10, 10)]
    public void Counts_total_and_warmup_steps_like_keras_bert(int examples, int batch, int epochs, double proportion, int total, int warmup) =>
        TrainingSteps.Calculate(examples, batch, epochs, proportion).Should().Be((total, warmup));

    [Fact]
    public void The_default_warmup_proportion_is_ten_percent() =>
        TrainingSteps.Calculate(1024, 32, 10).Should().Be((320, 32));

    [Theory]
    [InlineData(0, 32, 10, 0.1, "numExamples")]
    [InlineData(1024, 0, 10, 0.1, "batchSize")]
    [InlineData(1024, 32, 0, 0.1, "epochs")]
    [InlineData(1024, 32, 10, -0.1, "warmupProportion")]
    [InlineData(1024, 32, 10, 1.5, "warmupProportion")]
    [InlineData(1024, 32, 10, double.NaN, "warmupProportion")]
    [InlineData(int.MaxValue, 1, 2, 0.1, "epochs")]
    public void Rejects_arguments_out_of_range(int examples, int batch, int epochs, double proportion, string parameter) =>
        FluentActions.Invoking(() => TrainingSteps.Calculate(examples, batch, epochs, proportion))
            .Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be(parameter);
}
