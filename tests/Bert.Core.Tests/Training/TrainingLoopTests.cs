using Bert.Core.Optimization;
using Bert.Core.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Training;

/// <summary>The optimisation step shared by the classification trainer and the pretrainer.</summary>
public class TrainingLoopTests
{
    public TrainingLoopTests() => TorchRuntime.EnsureAvailable();

    private static (Parameter W, AdamWarmup Optimizer) Problem()
    {
        var w = new Parameter(tensor(new float[] { 0.5f, -1.0f, 2.0f }));
        var optimizer = new AdamWarmup([("w", w)], new AdamWarmupOptions { LearningRate = 0.1, WarmupSteps = 0, DecaySteps = 10, MaxGradNorm = null });
        return (w, optimizer);
    }

    [Fact]
    public void A_non_finite_loss_throws_before_any_gradient_is_applied()
    {
        var (w, optimizer) = Problem();
        using var _ = optimizer;
        var before = w.data<float>().ToArray();
        var loop = new TrainingLoop(optimizer);
        var act = () => loop.Batch(() => (w * float.NaN).sum(), value => new TrainingDivergedException(optimizer.StepCount, value));
        act.Should().Throw<TrainingDivergedException>().Where(e => e.Step == 0 && double.IsNaN(e.Loss) && e.Epoch == null)
            .WithMessage("*NaN at the batch after optimizer step 0*");
        optimizer.StepCount.Should().Be(0);
        w.data<float>().ToArray().Should().Equal(before);
    }

    [Fact]
    public void Accumulated_batches_step_once_with_the_mean_gradient()
    {
        // Two batches of losses sum(w) and sum(3w), accumulated, equal one batch of sum(2w): the same Adam step.
        var (a, accumulating) = Problem();
        var (b, single) = Problem();
        using (accumulating)
        using (single)
        {
            var loop = new TrainingLoop(accumulating, accumulationSteps: 2);
            loop.Batch(() => a.sum(), v => new TrainingDivergedException(0, v)).Should().BeApproximately(1.5, 1e-6);
            accumulating.StepCount.Should().Be(0, "the first of two accumulated batches does not step");
            loop.Batch(() => (a * 3).sum(), v => new TrainingDivergedException(0, v));
            accumulating.StepCount.Should().Be(1);

            new TrainingLoop(single).Batch(() => (b * 2).sum(), v => new TrainingDivergedException(0, v));
            single.StepCount.Should().Be(1);
            a.data<float>().ToArray().Should().Equal(b.data<float>().ToArray());
            a.data<float>().ToArray().Should().NotEqual(new[] { 0.5f, -1.0f, 2.0f });
        }
    }

    [Fact]
    public void The_last_batch_of_a_sequence_steps_even_when_the_accumulation_is_incomplete()
    {
        var (w, optimizer) = Problem();
        using var _ = optimizer;
        var loop = new TrainingLoop(optimizer, accumulationSteps: 4);
        loop.Batch(() => w.sum(), v => new TrainingDivergedException(0, v), lastOfSequence: true);
        optimizer.StepCount.Should().Be(1);
    }

    [Fact]
    public void A_bfloat16_loss_is_read_through_float32()
    {
        using var loss = tensor(2.5f).to(ScalarType.BFloat16);
        TrainingLoop.ReadLoss(loss).Should().Be(2.5f);
    }
}
