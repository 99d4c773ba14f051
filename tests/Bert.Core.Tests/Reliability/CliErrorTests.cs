using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Bert.Core.Tests.Reliability;

/// <summary>
/// The built <c>bert</c> CLI on hostile inputs: each failure is ONE line <c>error: ...</c> on stderr with a non-zero
/// exit code and no stack trace (which only <c>--verbose</c> adds), and fails fast (a config that does not fit the
/// checkpoint is refused before the model is built).
/// </summary>
public class CliErrorTests
{
    private static readonly string TestData = Path.Combine(AppContext.BaseDirectory, "TestData");

    /// <summary>The CLI built beside this test project (the project reference builds it first; same configuration and RID).</summary>
    private static string CliPath
    {
        get
        {
            string path = Path.Combine(AppContext.BaseDirectory.Replace(
                Path.Combine("tests", "Bert.Core.Tests"), Path.Combine("samples", "Bert.Cli"), StringComparison.Ordinal), "bert.dll");
            if (!File.Exists(path))
                throw new FileNotFoundException($"The CLI is not built at {path} (the project reference to samples/Bert.Cli builds it).", path);
            return path;
        }
    }

    private static (int ExitCode, string StdOut, string StdErr, TimeSpan Elapsed) Bert(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(CliPath);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        process.StandardInput.Close(); // commands that read standard input see an empty one
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"bert {string.Join(' ', args)} ran past 60 s");
        }
        return (process.ExitCode, stdout.Result, stderr.Result, clock.Elapsed);
    }

    private static void ShouldFailInOneLine((int ExitCode, string StdOut, string StdErr, TimeSpan Elapsed) run, string pattern)
    {
        run.ExitCode.Should().NotBe(0, run.StdErr);
        var lines = run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().ContainSingle(run.StdErr).Which.Should().StartWith("error: ").And.Match(pattern);
        run.StdErr.Should().NotContain("   at ");
    }

    [Fact]
    public void Hostile_inputs_end_in_one_error_line_and_a_non_zero_exit()
    {
        using var dir = new TempDir();
        string checkpoint = Path.Combine(TestData, "model", "tiny-gelu");
        var input = Path.Combine(dir.Path, "in.json");
        File.WriteAllText(input, """{"input_ids": [[1, 2, 3]]}""");
        var output = Path.Combine(dir.Path, "out.json");

        // A config whose hidden_size does not fit the weights: refused from the headers, before any allocation.
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, "config.json")))!.AsObject();
        config["hidden_size"] = 8192;
        config["num_attention_heads"] = 8;
        string big = Path.Combine(dir.Path, "big.json");
        File.WriteAllText(big, config.ToJsonString());
        var run = Bert("extract", "--config", big, "--checkpoint", checkpoint, "--input", input, "--output", output);
        ShouldFailInOneLine(run, "*does not fit the config*[23, 8]*[23, 8192]*");
        run.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), "the mismatch is found from the header, not by building the model");
        File.Exists(output).Should().BeFalse();

        // A safetensors header-length field lowered by 2 (the JSON still parses; every weight would shift by 2 bytes).
        var bytes = File.ReadAllBytes(Path.Combine(checkpoint, "model.safetensors"));
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var shifted = Path.Combine(dir.Path, "shifted.safetensors");
        var copy = (byte[])bytes.Clone();
        int json = (int)length;
        while (copy[8 + json - 1] == (byte)' ') json--; // the reference writer pads the header with spaces
        if ((int)length - json < 2) // no spare padding in this file: make some
        {
            copy = [.. copy[..8], .. copy.AsSpan(8, json).ToArray(), .. "        "u8.ToArray(), .. copy[(8 + (int)length)..]];
            length = (ulong)json + 8;
        }
        BinaryPrimitives.WriteUInt64LittleEndian(copy, length - 2);
        File.WriteAllBytes(shifted, copy);
        ShouldFailInOneLine(Bert("inspect", "--checkpoint", shifted), "*shifted.safetensors*the tensors cover*");

        // Input ids past the embedding table, an input that never ends, a SentencePiece WORD model, a tokenizer that never ends.
        File.WriteAllText(input, """{"input_ids": [[1, 2, 999]]}""");
        ShouldFailInOneLine(Bert("extract", "--checkpoint", checkpoint, "--input", input, "--output", output), "*'input_ids'*is 999, outside*vocab_size 23*");
        if (File.Exists("/dev/zero"))
        {
            ShouldFailInOneLine(Bert("extract", "--checkpoint", checkpoint, "--input", "/dev/zero", "--output", output), "*/dev/zero holds more than*");
            ShouldFailInOneLine(Bert("tokenize", "--spm", "/dev/zero"), "*'/dev/zero' holds more than*");
        }
        ShouldFailInOneLine(Bert("tokenize", "--spm", Path.Combine(TestData, "spm-unsupported", "word.model")), "*word.model*model_type is WORD*");
    }

    [Fact]
    public void Extract_runs_in_batches_and_matches_the_Python_reference_row_for_row()
    {
        // 21 rows (two batches of 16 and 5): the three golden inputs of tiny-gelu, repeated 7 times.
        string checkpoint = Path.Combine(TestData, "model", "tiny-gelu");
        var golden = JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, "expected_outputs.json")))!.AsObject();
        JsonArray Repeat(string key) => new(Enumerable.Range(0, 7).SelectMany(_ => golden[key]!.AsArray()).Select(r => r!.DeepClone()).ToArray());
        using var dir = new TempDir();
        string input = Path.Combine(dir.Path, "in.json"), output = Path.Combine(dir.Path, "out.json");
        File.WriteAllText(input, new JsonObject
        {
            ["input_ids"] = Repeat("input_ids"), ["token_type_ids"] = Repeat("token_type_ids"), ["attention_mask"] = Repeat("attention_mask"),
        }.ToJsonString());

        var run = Bert("extract", "--checkpoint", checkpoint, "--input", input, "--output", output);
        run.ExitCode.Should().Be(0, run.StdErr);
        var result = JsonNode.Parse(File.ReadAllText(output))!.AsObject();
        foreach (var key in new[] { "sequence_output", "pooled_output" })
        {
            var rows = result[key]!.AsArray();
            rows.Count.Should().Be(21);
            for (int r = 0; r < 21; r++)
            {
                var expected = Flatten(golden[key]![r % 3]).ToArray();
                var actual = Flatten(rows[r]).ToArray();
                actual.Length.Should().Be(expected.Length);
                for (int i = 0; i < expected.Length; i++)
                    actual[i].Should().BeApproximately(expected[i], 1e-5, $"{key} row {r} value {i}");
            }
        }
    }

    private static IEnumerable<double> Flatten(JsonNode? node) =>
        node is JsonArray array ? array.SelectMany(Flatten) : [node!.GetValue<double>()];

    [Fact]
    public void Verbose_adds_the_stack_trace_after_the_one_line()
    {
        var run = Bert("tokenize", "--verbose", "--spm", Path.Combine(TestData, "spm-unsupported", "char.model"));
        run.ExitCode.Should().NotBe(0);
        run.StdErr.Should().StartWith("error: ").And.Contain("InvalidDataException").And.Contain("   at ");
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("bert-cli-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
