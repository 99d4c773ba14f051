using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Bert.Core.Embeddings;
using Bert.Core.Modeling;
using Bert.Core.Tests.Embeddings;

namespace Bert.Core.Tests.Cli;

/// <summary><c>bert embed</c> run as a child process on all-MiniLM-L6-v2: the JSON-lines contract and its option checks.</summary>
[Collection(MiniLmCollection.Name)]
public class EmbedCommandTests(MiniLmEmbedderFixture fixture)
{
    private static readonly string[] Lines = ["Hello, world!", "", "A second line with \"quotes\", a \\ and 日本語.", "last"];

    [Fact]
    public void Each_input_line_becomes_one_JSON_object_with_the_librarys_embedding()
    {
        var (exit, stdout, stderr) = Run(string.Join('\n', Lines) + "\n", "embed", "--model", fixture.ModelDirectory, "--normalize");

        exit.Should().Be(0, stderr);
        var rows = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        rows.Should().HaveCount(Lines.Length);
        using var embedder = fixture.Load(new TextEmbedderOptions { Pooling = PoolingStrategy.MaskedMean, Normalize = true });
        var expected = embedder.EmbedBatch(Lines);
        for (int i = 0; i < rows.Length; i++)
        {
            using var json = JsonDocument.Parse(rows[i]);
            json.RootElement.EnumerateObject().Select(p => p.Name).Should().Equal("text", "embedding");
            json.RootElement.GetProperty("text").GetString().Should().Be(Lines[i]);
            // Printed floats read back to the very same float32 values (shortest round-trip form).
            var values = json.RootElement.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            values.Should().Equal(expected[i], $"line {i}");
        }
    }

    [Theory]
    [InlineData("1")]
    [InlineData("Cls, Pooler")]
    [InlineData("CLS")]
    [InlineData("concat")]
    public void A_pooling_name_that_is_not_exactly_one_of_the_four_is_refused(string pooling)
    {
        var (exit, stdout, stderr) = Run("text\n", "embed", "--model", fixture.ModelDirectory, "--pooling", pooling);
        exit.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.Should().Contain("--pooling must be cls, pooler, mean or max").And.Contain($"'{pooling}'");
    }

    [Fact]
    public void A_checkpoint_without_a_tokenizer_is_refused_with_what_to_add()
    {
        var (exit, _, stderr) = Run("text\n", "embed", "--config", Path.Combine(fixture.ModelDirectory, "config.json"), "--checkpoint", fixture.ModelDirectory);
        exit.Should().Be(1);
        stderr.Should().Contain("--spm").And.Contain("--vocab");
    }

    private static (int Exit, string Stdout, string Stderr) Run(string input, params string[] args)
    {
        string cli = typeof(EmbedCommandTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BertCli").Value!;
        File.Exists(cli).Should().BeTrue($"the CLI is built with the tests ({cli})");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false), StandardOutputEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(cli);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        process.WaitForExit(120_000).Should().BeTrue("bert embed finishes");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
