// These tests wait on a child process with timeouts; blocking waits are intended (no synchronization context here).
#pragma warning disable xUnit1031

namespace Bert.Classification.Tests.Reliability;

/// <summary>
/// Killing the process in the middle of a save (ten kills at random moments of continuous saving) leaves a complete,
/// loadable classifier, and the user's own files in the folder untouched. The step-by-step crash cases are in
/// Bert.Core.Tests' SaveTransactionTests.
/// </summary>
public class CrashSafetyTests
{
    [Fact]
    public void A_save_killed_at_any_moment_leaves_a_loadable_classifier()
    {
        using var dir = new TempDirectory();
        string folder = Path.Combine(dir.Path, "model");
        var random = new Random(5);
        var indexer = ToyData.Indexer();
        var texts = ToyData.Make(8, 6).Select(e => e.Text).ToArray();
        // The two classifiers the child alternates between; any load must give exactly one of them.
        var expected = new[] { 1, 2 }.Select(seed =>
        {
            using var c = new TextClassifier(ToyData.Model(indexer.VocabSize, seed), indexer, ToyData.Labels, ToyData.SpmModel, 64);
            return c.PredictBatch(texts).SelectMany(p => p.Probabilities.Select(kv => kv.Value)).ToArray();
        }).ToArray();

        // Files of the user's in the same folder: never touched, whenever the kill comes.
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "user-notes.txt"), "mine");
        for (int round = 0; round < 10; round++)
        {
            using var child = ChildProcess.Start("save-loop", folder);
            var errors = child.StandardError.ReadToEndAsync();
            // Wait for at least one complete save, then kill at a random moment of a later one.
            var firstSave = Task.Run(() =>
            {
                string? line;
                while ((line = child.StandardOutput.ReadLine()) is not null && !line.StartsWith("saved", StringComparison.Ordinal)) { }
                return line;
            });
            if (!firstSave.Wait(TimeSpan.FromSeconds(120)) || firstSave.Result is null)
            {
                child.Kill(entireProcessTree: true);
                child.WaitForExit();
                throw new Xunit.Sdk.XunitException("the child did not save within 120 s: " + errors.Result);
            }
            // Kill points spread over whole save cycles (each save of this model takes tens of milliseconds).
            Thread.Sleep(random.Next(1, 250));
            child.Kill(entireProcessTree: true);
            child.WaitForExit();

            using var loaded = TextClassifier.Load(folder);
            var got = loaded.PredictBatch(texts).SelectMany(p => p.Probabilities.Select(kv => kv.Value)).ToArray();
            (got.SequenceEqual(expected[0]) || got.SequenceEqual(expected[1])).Should().BeTrue($"round {round}: the loaded classifier must be one of the two saved ones");
            File.ReadAllText(Path.Combine(folder, "user-notes.txt")).Should().Be("mine");
        }
    }
}
