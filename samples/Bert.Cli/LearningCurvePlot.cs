using Bert.Classification.Training;

namespace Bert.Cli;

/// <summary>Draws loss, accuracy and F1 per epoch (left axis) and the learning rate (right axis) into one PNG with ScottPlot.</summary>
internal static class LearningCurvePlot
{
    /// <summary>Saves the plot; returns null on success or the reason it could not be drawn.</summary>
    /// <param name="history">The epochs.</param>
    /// <param name="learningRates">The scheduled learning rate at every optimizer step, as (epoch position, rate).</param>
    /// <param name="path">The PNG to write.</param>
    public static string? TrySave(IReadOnlyList<EpochResult> history, IReadOnlyList<(double Epoch, double Rate)> learningRates, string path)
    {
        if (history.Count == 0) return "no completed epoch";
        try
        {
            double[] epochs = history.Select(e => (double)e.Epoch).ToArray();
            var plot = new ScottPlot.Plot();
            plot.Add.Scatter(epochs, history.Select(e => e.TrainLoss).ToArray()).LegendText = "train loss";
            plot.Add.Scatter(epochs, history.Select(e => e.ValidationLoss).ToArray()).LegendText = "validation loss";
            plot.Add.Scatter(epochs, history.Select(e => e.Accuracy).ToArray()).LegendText = "validation accuracy";
            plot.Add.Scatter(epochs, history.Select(e => e.WeightedF1).ToArray()).LegendText = "validation weighted F1";
            if (learningRates.Count > 0)
            {
                var lr = plot.Add.ScatterLine(learningRates.Select(p => p.Epoch).ToArray(), learningRates.Select(p => p.Rate).ToArray());
                lr.LegendText = "learning rate (right axis)";
                lr.Axes.YAxis = plot.Axes.Right;
                plot.Axes.Right.Label.Text = "learning rate";
                plot.Axes.SetLimitsY(0, learningRates.Max(p => p.Rate) * 1.08, plot.Axes.Right); // a rate is never negative
            }
            // Whole epochs on the axis, from the start of training; loss and scores from 0.
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1);
            plot.Axes.SetLimitsX(0, epochs.Max() + 0.25);
            double top = history.Max(e => Math.Max(Math.Max(e.TrainLoss, e.ValidationLoss), Math.Max(e.Accuracy, e.WeightedF1)));
            plot.Axes.SetLimitsY(0, top * 1.08, plot.Axes.Left);
            plot.Title("Learning curves");
            plot.XLabel("epoch");
            plot.YLabel("loss / score");
            plot.ShowLegend(ScottPlot.Edge.Bottom); // below the axes: never over the curves
            string temp = path + ".tmp.png";
            plot.SavePng(temp, 1000, 650);
            File.Move(temp, path, overwrite: true);
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ex.GetType().Name + ": " + ex.Message;
        }
    }
}
