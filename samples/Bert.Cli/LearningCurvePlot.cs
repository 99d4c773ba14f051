using Bert.Classification.Training;

namespace Bert.Cli;

/// <summary>Draws loss, F1 and the learning rate per epoch into one PNG with ScottPlot.</summary>
internal static class LearningCurvePlot
{
    /// <summary>Saves the plot; returns null on success or the reason it could not be drawn.</summary>
    public static string? TrySave(IReadOnlyList<EpochResult> history, string path)
    {
        if (history.Count == 0) return "no completed epoch";
        try
        {
            double[] epochs = history.Select(e => (double)e.Epoch).ToArray();
            var plot = new ScottPlot.Multiplot();
            plot.AddPlots(3);
            var loss = plot.GetPlot(0);
            loss.Add.Scatter(epochs, history.Select(e => e.TrainLoss).ToArray()).LegendText = "train loss";
            loss.Add.Scatter(epochs, history.Select(e => e.ValidationLoss).ToArray()).LegendText = "validation loss";
            loss.Title("Loss");
            loss.ShowLegend();
            var f1 = plot.GetPlot(1);
            f1.Add.Scatter(epochs, history.Select(e => e.WeightedF1).ToArray()).LegendText = "weighted F1";
            f1.Add.Scatter(epochs, history.Select(e => e.Accuracy).ToArray()).LegendText = "accuracy";
            f1.Title("Validation");
            f1.ShowLegend();
            var lr = plot.GetPlot(2);
            lr.Add.Scatter(epochs, history.Select(e => e.LearningRate).ToArray()).LegendText = "learning rate (end of epoch)";
            lr.Title("Learning rate");
            foreach (var p in new[] { loss, f1, lr }) p.XLabel("epoch");
            string temp = path + ".tmp.png";
            plot.SavePng(temp, 900, 1000);
            File.Move(temp, path, overwrite: true);
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ex.GetType().Name + ": " + ex.Message;
        }
    }
}
