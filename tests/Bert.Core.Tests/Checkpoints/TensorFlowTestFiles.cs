using System.Text.Json;
using Bert.Tests;

namespace Bert.Core.Tests.Checkpoints;

/// <summary>Paths of the keras-bert fixture, the Python golden, and throwaway copies in temp folders.</summary>
internal static class TensorFlowTestFiles
{
    public const string Fixture = "fixtures/keras-bert-tiny";
    public const string FixtureIndex = "fixtures/keras-bert-tiny/bert_model.ckpt.index";

    /// <summary>The fixture prefix inside ../shared (read-only: never write there).</summary>
    public static string FixturePrefix => SharedData.PathOf("fixtures/keras-bert-tiny/bert_model.ckpt");

    public static string GoldenPath => Path.Combine(AppContext.BaseDirectory, "TestData", "tf", "keras-bert-tiny-golden.json");

    /// <summary>The golden written by TestData/tf/dump_tf_golden.py (an independent Python reader).</summary>
    public static JsonDocument Golden() => JsonDocument.Parse(File.ReadAllText(GoldenPath));

    /// <summary>A fresh temp folder holding a copy of the fixture's .index and .data; returns its prefix.</summary>
    public static string CopyFixture(TempFolder folder)
    {
        string prefix = Path.Combine(folder.Path, "bert_model.ckpt");
        File.Copy(FixturePrefix + ".index", prefix + ".index");
        File.Copy(FixturePrefix + ".data-00000-of-00001", prefix + ".data-00000-of-00001");
        return prefix;
    }
}

/// <summary>A temp directory deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bert-tf-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
