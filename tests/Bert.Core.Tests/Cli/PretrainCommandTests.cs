using System.Diagnostics;
using Bert.Tokenization;

namespace Bert.Core.Tests.Cli;

/// <summary><c>bert pretrain</c> end to end on a tiny model: the output folder, progress.tsv, and its error lines.</summary>
public class PretrainCommandTests
{
    private static readonly string TestData = Path.Combine(AppContext.BaseDirectory, "TestData");
    private static readonly string Spm = Path.Combine(TestData, "spm", "unigram-ja.model");

    private static string CliPath => Path.Combine(AppContext.BaseDirectory.Replace(
        Path.Combine("tests", "Bert.Core.Tests"), Path.Combine("samples", "Bert.Cli"), StringComparison.Ordinal), "bert.dll");

    private static (int ExitCode, string StdOut, string StdErr) Bert(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(CliPath);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"bert {string.Join(' ', args)} ran past 120 s");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string[] Pretrain(string dir, string corpus, string output, long steps, params string[] more)
    {
        string config = Path.Combine(dir, "tiny.json");
        if (!File.Exists(config))
        {
            var indexer = SentencePieceIndexer.Load(Spm);
            File.WriteAllText(config, $$"""
                { "vocab_size": {{indexer.VocabSize}}, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
                  "intermediate_size": 32, "max_position_embeddings": 32 }
                """);
        }
        return ["pretrain", "--corpus", corpus, "--spm", Spm, "--config", config, "--steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--batch-size", "2", "--max-seq-len", "32", "--checkpoint-every", "0", "--log-every", "1", "--threads", "1", "--output", output, .. more];
    }

    private static string Corpus(string dir)
    {
        string path = Path.Combine(dir, "corpus.txt");
        File.WriteAllText(path, "吾輩は猫である。\n名前はまだ無い。\nどこで生れたかとんと見当がつかぬ。\n\n" +
            "何でも薄暗いじめじめした所で泣いていた事だけは記憶している。\n吾輩はここで始めて人間というものを見た。\n\n" +
            "しかもあとで聞くとそれは書生という人間中で一番獰悪な種族であったそうだ。\nこの書生というのは時々我々を捕えて煮て食うという話である。\n");
        return path;
    }

    private static void ShouldFailInOneLine((int ExitCode, string StdOut, string StdErr) run, string pattern)
    {
        run.ExitCode.Should().NotBe(0, run.StdErr);
        run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle(run.StdErr)
            .Which.Should().StartWith("error: ").And.Match(pattern);
    }

    private static long[] LoggedSteps(string output)
    {
        var lines = File.ReadAllLines(Path.Combine(output, "progress.tsv"));
        lines[0].Should().StartWith("step\t");
        lines.Skip(1).Should().NotContain(l => l.StartsWith("step", StringComparison.Ordinal), "one header");
        return lines.Skip(1).Select(l => long.Parse(l.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    [Fact]
    public void An_empty_or_one_line_corpus_is_refused_naming_the_file_with_advice_the_cli_can_follow()
    {
        var dir = Path.Combine(Path.GetTempPath(), "bert-pretrain-cli-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            foreach (var text in new[] { "", "吾輩は猫である。\n" })
            {
                string corpus = Path.Combine(dir, "small.txt");
                File.WriteAllText(corpus, text);
                var run = Bert(Pretrain(dir, corpus, Path.Combine(dir, "out"), 2));
                ShouldFailInOneLine(run, $"*--corpus '{corpus}'*two non-empty documents*separated by an empty line*");
                run.StdErr.Should().NotContain("(Parameter");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_fresh_run_starts_progress_tsv_a_second_run_without_resume_is_refused_and_a_resumed_run_appends()
    {
        var dir = Path.Combine(Path.GetTempPath(), "bert-pretrain-cli-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            string corpus = Corpus(dir), output = Path.Combine(dir, "out");
            Directory.CreateDirectory(output);
            File.WriteAllText(Path.Combine(output, "progress.tsv"), "step\tmlm_loss\n7\t1.0\n8\t1.0\n"); // a killed run's, no checkpoint

            var first = Bert(Pretrain(dir, corpus, output, 2));
            first.ExitCode.Should().Be(0, first.StdErr);
            LoggedSteps(output).Should().Equal(1, 2);
            // hf/ is a complete Hugging Face folder: the pretraining tokenizer is in it (bert train uses it from there).
            BertIndexer.Load(Path.Combine(output, "hf")).TokenizeToIds("吾輩は猫である。").Should()
                .Equal(SentencePieceIndexer.Load(Spm).TokenizeToIds("吾輩は猫である。"));
            var weights = File.ReadAllBytes(Path.Combine(output, "hf", "model.safetensors"));

            ShouldFailInOneLine(Bert(Pretrain(dir, corpus, output, 3)), $"*'{output}'*checkpoint*--resume*another output folder*");
            File.ReadAllBytes(Path.Combine(output, "hf", "model.safetensors")).Should().Equal(weights);
            LoggedSteps(output).Should().Equal(1, 2);

            // As if a run killed after the checkpoint at step 2 had logged steps 3 and 4: the resumed run does them again
            // and its rows replace those (they were logged twice before).
            File.AppendAllText(Path.Combine(output, "progress.tsv"), "3\t9.0\n4\t9.0\n");
            var resumed = Bert(Pretrain(dir, corpus, output, 3, "--resume"));
            resumed.ExitCode.Should().Be(0, resumed.StdErr);
            LoggedSteps(output).Should().Equal(1, 2, 3);
            File.ReadAllText(Path.Combine(output, "progress.tsv")).Should().NotContain("\t9.0\n");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
