using System.Diagnostics;
using System.Globalization;
using Bert.Classification.Training;
using Bert.Tests;
using TorchSharp;

namespace Bert.Classification.Tests;

/// <summary>
/// The entry point of this assembly when a test starts it as a child process (<c>dotnet Bert.Classification.Tests.dll MODE ...</c>):
/// work that must be killed mid-way, or whose resident memory must not be disturbed by other tests.
/// </summary>
public static class ChildProcess
{
    /// <summary>Runs one mode; see the cases below.</summary>
    public static int Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "save-loop":
                return SaveLoop(args[1]);
            case "memory":
                return Memory(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
            default:
                Console.Error.WriteLine("usage: save-loop FOLDER | memory PREDICTIONS STEPS");
                return 2;
        }
    }

    /// <summary>Starts this assembly as a child process with the given arguments.</summary>
    internal static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["BERT_SHARED_DIR"] = SharedData.Directory ?? "";
        start.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        // The GC sizes its gen0 budget from the processor's cache: on an Intel Xeon reporting a 260 MB L3 it kept up to
        // 80 MB committed for a 0.4 MB live heap and RSS rose 55 MB over 2000 predictions with no leak. A fixed budget
        // (32 MB) makes the memory test measure the same thing on every machine.
        start.Environment["DOTNET_GCgen0size"] = "0x2000000";
        return Process.Start(start) ?? throw new InvalidOperationException("could not start the child process");
    }

    /// <summary>Saves two different classifiers into FOLDER alternately, forever, printing "saved N" after each save.</summary>
    private static int SaveLoop(string folder)
    {
        var indexer = ToyData.Indexer();
        var models = new[] { 1, 2 }.Select(seed => new TextClassifier(ToyData.Model(indexer.VocabSize, seed), indexer, ToyData.Labels,
            ToyData.SpmModel, 64)).ToArray();
        for (long n = 0; ; n++)
        {
            models[n % 2].Save(folder);
            Console.WriteLine("saved " + n);
        }
    }

    /// <summary>
    /// Runs PREDICTIONS single-text predictions and STEPS training steps of the small model (4 layers, hidden 256),
    /// printing the resident set size (MB) after warm-up and at the end of the predictions ("rss predict-warm MB",
    /// "rss predict-end MB") and after every training epoch of 16 steps ("rss epoch-N MB").
    /// </summary>
    private static int Memory(int predictions, int steps)
    {
        torch.set_num_threads(2);
        var indexer = ToyData.Indexer();
        var config = ToyData.TinyConfig(indexer.VocabSize);
        config.HiddenSize = 256;
        config.NumHiddenLayers = 4;
        config.NumAttentionHeads = 4;
        config.IntermediateSize = 1024;
        torch.manual_seed(1);
        var model = new BertForSequenceClassification(new Core.Modeling.BertModelBuilder(config).WithSeed(1).Build(), 2);
        using var classifier = new TextClassifier(model, indexer, ToyData.Labels, ToyData.SpmModel, 64);
        var texts = ToyData.Make(200, 3).Select(e => e.Text).ToArray();
        // Warm-up long enough for the allocator to reach its plateau (measured: 2000 and 6000 predictions end at the same RSS).
        for (int i = 0; i < 1000; i++) classifier.Predict(texts[i % texts.Length]);
        Report("predict-warm");
        for (int i = 0; i < predictions; i++) classifier.Predict(texts[i % texts.Length]);
        Report("predict-end");

        // Training: each epoch of 16 batches of 16 is 16 steps.
        int epochs = Math.Max(2, steps / 16);
        var trainer = new ClassificationTrainer(model, indexer, ToyData.Labels, new ClassificationTrainerOptions { Epochs = epochs, LearningRate = 1e-4, Seed = 1 });
        var train = ToyData.Make(256, 4);
        var validation = ToyData.Make(16, 5);
        var progress = new EpochProgress(epoch => Report("epoch-" + epoch.ToString(CultureInfo.InvariantCulture)));
        trainer.Train(train, validation, progress);
        return 0;
    }

    private static void Report(string phase)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        double rss = double.NaN;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                rss = double.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rss {phase} {rss:F1}"));
        var gc = GC.GetGCMemoryInfo();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gc {phase} heap {gc.HeapSizeBytes / 1048576.0:F1} committed {gc.TotalCommittedBytes / 1048576.0:F1}"));
    }

    private sealed class EpochProgress(Action<int> onEpoch) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.EpochResult is not null) onEpoch(value.Epoch);
        }
    }
}
