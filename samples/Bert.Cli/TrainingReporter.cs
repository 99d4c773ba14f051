using System.Diagnostics;
using System.Globalization;
using Bert.Classification.Training;
using Spectre.Console;

namespace Bert.Cli;

/// <summary>
/// Shows training as it goes: on a terminal, a progress bar per epoch (batches/s, ETA) and a table row per epoch;
/// when output is redirected, plain lines without escape codes.
/// </summary>
internal sealed class TrainingReporter
{
    private readonly bool interactive = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    public TrainingResult Run(Func<IProgress<TrainingProgress>, TrainingResult> train)
    {
        if (!interactive)
            return train(new PlainProgress());

        TrainingResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var progress = new BarProgress(ctx);
                result = train(progress);
            });
        return result!;
    }

    // Regression has no accuracy or F1 (NaN): its line shows the losses (mean squared errors) only.
    private static string EpochLine(EpochResult e) =>
        FormattableString.Invariant($"epoch {e.Epoch,2}  train loss {e.TrainLoss:F4}  val loss {e.ValidationLoss:F4}  ") +
        (double.IsNaN(e.Accuracy) ? "" : FormattableString.Invariant($"accuracy {e.Accuracy:F4}  weighted F1 {e.WeightedF1:F4}  ")) +
        FormattableString.Invariant($"lr {e.LearningRate:E2}  {e.Seconds:F0} s");

    /// <summary>Synchronous IProgress (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    private sealed class PlainProgress : IProgress<TrainingProgress>
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private int lastShown = -1;

        public void Report(TrainingProgress p)
        {
            if (p.EpochResult is { } e)
            {
                Console.WriteLine(EpochLine(e));
                clock.Restart();
                lastShown = -1;
                return;
            }
            int tenth = p.Batch * 10 / p.Batches;
            if (tenth == lastShown || p.Batch == p.Batches) return;
            lastShown = tenth;
            double rate = p.Batch / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  epoch {p.Epoch}/{p.Epochs} batch {p.Batch}/{p.Batches}  loss {p.Loss:F4}  lr {p.LearningRate:E2}  {rate:F1} batches/s  ETA {(p.Batches - p.Batch) / Math.Max(rate, 1e-9):F0} s"));
        }
    }

    private sealed class BarProgress(ProgressContext ctx) : IProgress<TrainingProgress>
    {
        private readonly Stopwatch clock = new();
        private ProgressTask? task;

        public void Report(TrainingProgress p)
        {
            if (p.EpochResult is { } e)
            {
                if (task is not null)
                {
                    task.Description = Markup.Escape(EpochLine(e));
                    task.StopTask();
                }
                task = null;
                return;
            }
            if (task is null)
            {
                task = ctx.AddTask($"epoch {p.Epoch}/{p.Epochs}", maxValue: p.Batches);
                clock.Restart();
            }
            task.Value = p.Batch;
            double rate = p.Batch / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            task.Description = string.Create(CultureInfo.InvariantCulture,
                $"epoch {p.Epoch}/{p.Epochs}  loss {p.Loss:F4}  lr {p.LearningRate:E2}  {rate:F1} batch/s");
        }
    }
}
