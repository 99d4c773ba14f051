using Bert.Core.Checkpoints;
using Bert.Core.IO;
using Bert.Core.Pretraining;
using Bert.Core.Training;
using Xunit.Abstractions;
using static Bert.Core.Tests.Pretraining.PretrainingTestModels;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Pretraining;

public class PretrainerTests
{
    private readonly ITestOutputHelper _output;

    public PretrainerTests(ITestOutputHelper output)
    {
        _output = output;
        TorchRuntime.EnsureAvailable();
    }

    private static PretrainerOptions Options(string dir, long steps) => new()
    {
        Steps = steps,
        BatchSize = 8,
        LearningRate = 2e-3,
        WarmupSteps = 5,
        CheckpointEvery = 0,
        ProgressEvery = 1,
        OutputDirectory = dir,
        Seed = 77,
    };

    [Fact]
    public void Masked_lm_loss_falls_on_a_repetitive_corpus()
    {
        var dir = TempDirectory();
        try
        {
            using var model = NewModel(TinyConfig(dropout: 0), 11);
            // 300 steps: with Google's random front/back truncation the windows vary more than when only the end was cut.
            var options = Options(dir, 300);
            options.LearningRate = 5e-3;
            options.ExportAtEnd = false;
            var result = new Pretrainer(model, Generator(), options).Run();
            var history = result.History;
            history.Should().HaveCount(300);
            history.Select(h => h.Step).Should().Equal(Enumerable.Range(1, 300).Select(i => (long)i));
            var first = history.Take(10).Average(h => h.MaskedLmLoss);
            var last = history.TakeLast(10).Average(h => h.MaskedLmLoss);
            _output.WriteLine($"MLM loss: first 10 steps {first:F3}, last 10 {last:F3}; accuracy last 10 {history.TakeLast(10).Average(h => h.MaskedLmAccuracy):F3}");
            first.Should().BeGreaterThan(3.0, "a random model is near ln(40) = 3.69");
            last.Should().BeLessThan(Math.Log(14), "below the unigram entropy of the corpus's 14 pieces: the model uses the context");
            last.Should().BeLessThan(first * 0.6);
            history.TakeLast(10).Average(h => h.MaskedLmAccuracy).Should().BeGreaterThan(0.3);
            history[4].LearningRate.Should().BeApproximately(5e-3, 1e-12, "warm-up ends at step 5");
            history[^1].LearningRate.Should().BeApproximately(0, 1e-12, "the rate decays linearly to 0 at the last step");
            history.Should().OnlyContain(h => h.SequencesPerSecond > 0 && h.NextSentenceAccuracy >= 0 && h.NextSentenceAccuracy <= 1);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_resumed_run_ends_with_the_weights_of_an_uninterrupted_one()
    {
        var straightDir = TempDirectory();
        var resumedDir = TempDirectory();
        try
        {
            using var straight = NewModel(TinyConfig(dropout: 0.1), 21);
            var straightOptions = Options(straightDir, 8);
            straightOptions.ExportAtEnd = false;
            new Pretrainer(straight, Generator(seed: 5), straightOptions).Run();

            // Interrupted after step 3 (cancellation writes a checkpoint of the last step), then resumed in a new model.
            using var cts = new CancellationTokenSource();
            using (var first = NewModel(TinyConfig(dropout: 0.1), 21))
            {
                var options = Options(resumedDir, 8);
                var progress = new SynchronousProgress(p => { if (p.Step == 3) cts.Cancel(); });
                var act = () => new Pretrainer(first, Generator(seed: 5), options).Run(progress, cts.Token);
                act.Should().Throw<OperationCanceledException>();
            }
            File.Exists(Path.Combine(resumedDir, "checkpoint", "trainer.json")).Should().BeTrue();
            Directory.Exists(Path.Combine(resumedDir, "checkpoint.tmp")).Should().BeFalse();

            using var resumed = NewModel(TinyConfig(dropout: 0.1), 999); // other initial weights: all must come from the checkpoint
            manual_seed(12345);                                          // and another dropout stream: restored too
            var resumeOptions = Options(resumedDir, 8);
            resumeOptions.Resume = true;
            resumeOptions.Device = CPU; // through the device helper: the same weights as the default (null) device
            var result = new Pretrainer(resumed, Generator(seed: 5), resumeOptions).Run();
            result.ResumedFromStep.Should().Be(3);
            result.Steps.Should().Be(8);
            result.History.First().Step.Should().Be(4);
            result.History.First().FirstStep.Should().Be(4, "the resumed run's first report covers the steps after the checkpoint");
            result.History.Zip(result.History.Skip(1)).Should().OnlyContain(p => p.Second.FirstStep == p.First.Step + 1);

            foreach (var (name, value) in straight.state_dict())
                Values(resumed.state_dict()[name]).Should().Equal(Values(value), name);
        }
        finally
        {
            Directory.Delete(straightDir, recursive: true);
            Directory.Delete(resumedDir, recursive: true);
        }
    }

    [Fact]
    public void The_run_exports_hugging_face_and_tensorflow_models_that_load_back()
    {
        var dir = TempDirectory();
        try
        {
            using var model = NewModel(TinyConfig(), 31);
            var options = Options(dir, 4);
            options.WarmupSteps = 1;
            options.CheckpointEvery = 2;
            var result = new Pretrainer(model, Generator(), options).Run();
            result.HuggingFaceDirectory.Should().Be(Path.Combine(dir, "hf"));
            result.TensorFlowPrefix.Should().Be(Path.Combine(dir, "tf", "model.ckpt-4"));
            File.Exists(Path.Combine(dir, "hf", "config.json")).Should().BeTrue();
            File.Exists(Path.Combine(dir, "hf", "model.safetensors")).Should().BeTrue();
            File.Exists(Path.Combine(dir, "tf", "model.ckpt-4.index")).Should().BeTrue();
            File.Exists(Path.Combine(dir, "tf", "model.ckpt-4.data-00000-of-00001")).Should().BeTrue();
            BertConfig.FromJsonFile(Path.Combine(dir, "tf", "bert_config.json")).HiddenSize.Should().Be(32);
            using (var reader = TensorFlowCheckpointReader.Open(result.TensorFlowPrefix!))
                BitConverter.ToInt64(reader.ReadBytes("global_step")).Should().Be(4);

            // The encoder alone loads from the exported folder with the model branch's loader (fine-tuning's path).
            using var encoder = new Bert.Core.Modeling.BertModel(TinyConfig());
            var report = BertCheckpointLoader.Load(encoder, result.HuggingFaceDirectory!, new CheckpointLoadOptions { Strict = false });
            report.Missing.Should().BeEmpty();
            foreach (var (name, value) in encoder.state_dict())
                Values(value).Should().Equal(Values(model.Bert.state_dict()[name]), name);
            using var fromTf = new Bert.Core.Modeling.BertModel(TinyConfig());
            BertCheckpointLoader.Load(fromTf, result.TensorFlowPrefix!, new CheckpointLoadOptions { Strict = false }).Missing.Should().BeEmpty();
            foreach (var (name, value) in fromTf.state_dict())
                Values(value).Should().Equal(Values(model.Bert.state_dict()[name]), name);

            // Continuing the run to 6 steps replaces the export: tf/ holds only the new checkpoint.
            var more = Options(dir, 6);
            more.WarmupSteps = 1;
            more.Resume = true;
            File.WriteAllText(Path.Combine(dir, "tf", "model.ckpt-1.index"), "the user's own");
            new Pretrainer(model, Generator(), more).Run().ResumedFromStep.Should().Be(4);
            // The export of step 4 (this run's own, listed in the folder's manifest) is replaced; a user's file stays.
            Directory.GetFiles(Path.Combine(dir, "tf")).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')).Should()
                .BeEquivalentTo(["bert_config.json", "model.ckpt-6.index", "model.ckpt-6.data-00000-of-00001", "bert_net_manifest.json", "model.ckpt-1.index"]);
            File.ReadAllText(Path.Combine(dir, "tf", "model.ckpt-1.index")).Should().Be("the user's own");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    // trainer.json as the pretrainer wrote it before the layout shared with classification (no Layout, no Kind).
    [InlineData("""{ "Step": 3, "BatchSize": 8, "Generator": { "Random": [1, 2, 3, 4], "ExamplesGenerated": 24 }, "TorchRandomState": "AAAA" }""",
        "*'{0}' was written by an older checkpoint layout*")]
    [InlineData("""{ "Layout": 2, "Kind": "classification", "Step": 0, "Run": { "Epoch": 1 } }""",
        "*'{0}' belongs to a classification checkpoint, not a pretraining one*")]
    public void A_checkpoint_of_the_older_layout_or_of_the_classification_trainer_is_refused_naming_the_file(string trainerJson, string message)
    {
        var dir = TempDirectory();
        try
        {
            using (var save = SaveTransaction.Begin(Path.Combine(dir, "checkpoint"), SaveKind.TrainingCheckpoint(TrainerCheckpoint.Pretraining), "test"))
            {
                save.WriteText("trainer.json", trainerJson);
                save.Commit();
            }
            using var model = NewModel(TinyConfig(), 51);
            var options = Options(dir, 8);
            options.Resume = true;
            var act = () => new Pretrainer(model, Generator(), options).Run();
            act.Should().Throw<InvalidDataException>().WithMessage(string.Format(message, Path.Combine(dir, "checkpoint", "trainer.json")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_checkpoint_has_the_layout_shared_with_classification()
    {
        var dir = TempDirectory();
        try
        {
            using var model = NewModel(TinyConfig(), 53);
            var options = Options(dir, 2);
            options.WarmupSteps = 1;
            options.ExportAtEnd = false;
            new Pretrainer(model, Generator(), options).Run();
            var checkpoint = Path.Combine(dir, "checkpoint");
            Directory.GetFiles(checkpoint).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')).Should()
                .BeEquivalentTo(["model.safetensors", "optimizer.state", "trainer.json", "bert_net_manifest.json"]);
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(checkpoint, "trainer.json")));
            json.RootElement.GetProperty("Layout").GetInt32().Should().Be(2);
            json.RootElement.GetProperty("Kind").GetString().Should().Be("pretraining");
            json.RootElement.GetProperty("Step").GetInt64().Should().Be(2);
            json.RootElement.GetProperty("Run").GetProperty("BatchSize").GetInt32().Should().Be(8);
            json.RootElement.GetProperty("Run").GetProperty("Generator").GetProperty("ExamplesGenerated").GetInt64().Should().Be(16);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_second_run_on_the_same_output_folder_fails_while_the_first_runs()
    {
        var dir = TempDirectory();
        try
        {
            using var model = NewModel(TinyConfig(), 61);
            using var other = NewModel(TinyConfig(), 62);
            Exception? second = null;
            var options = Options(dir, 3);
            options.WarmupSteps = 1;
            options.ExportAtEnd = false;
            var progress = new SynchronousProgress(p =>
            {
                if (p.Step != 1) return;
                var otherOptions = Options(dir, 2);
                otherOptions.WarmupSteps = 1;
                otherOptions.ExportAtEnd = false;
                try { new Pretrainer(other, Generator(seed: 2), otherOptions).Run(); }
                catch (Exception ex) { second = ex; }
            });
            new Pretrainer(model, Generator(), options).Run(progress).Steps.Should().Be(3);
            second.Should().BeOfType<IOException>().Which.Message.Should().Contain(Path.GetFullPath(dir)).And.Contain("pretraining");
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "checkpoint", "trainer.json")));
            json.RootElement.GetProperty("Step").GetInt64().Should().Be(3, "the second run wrote nothing");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_run_that_does_not_resume_refuses_a_folder_with_a_checkpoint_and_leaves_it()
    {
        var dir = TempDirectory();
        try
        {
            using var model = NewModel(TinyConfig(), 63);
            var options = Options(dir, 2);
            options.WarmupSteps = 1;
            new Pretrainer(model, Generator(), options).Run();
            var before = File.ReadAllBytes(Path.Combine(dir, "hf", "model.safetensors"));

            using var again = NewModel(TinyConfig(), 64);
            var act = () => new Pretrainer(again, Generator(seed: 9), Options(dir, 6)).Run();
            act.Should().Throw<IOException>().WithMessage($"*'{Path.GetFullPath(dir)}'*Resume*--resume*another output folder*");
            File.ReadAllBytes(Path.Combine(dir, "hf", "model.safetensors")).Should().Equal(before);
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "checkpoint", "trainer.json")));
            json.RootElement.GetProperty("Step").GetInt64().Should().Be(2);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_hugging_face_export_holds_the_pretraining_tokenizer_so_embedder_and_indexer_load_from_it()
    {
        var dir = TempDirectory();
        try
        {
            var spm = Path.Combine(AppContext.BaseDirectory, "TestData", "spm", "unigram-ja.model");
            var indexer = Bert.Tokenization.SentencePieceIndexer.Load(spm);
            var config = TinyConfig();
            config.VocabSize = indexer.VocabSize;
            using var model = NewModel(config, 65);
            var corpus = Bert.Core.Pretraining.PretrainingCorpus.Parse("吾輩は猫である。\n名前はまだ無い。\n\nどこで生れたかとんと見当がつかぬ。\n何でも薄暗い所で泣いていた。\n");
            var generator = new PretrainingBatchGenerator(corpus.Tokenize(indexer), PretrainingVocabulary.FromIndexer(indexer),
                new PretrainingBatchGeneratorOptions { MaxSequenceLength = 24 });
            var options = Options(dir, 2);
            options.WarmupSteps = 1;
            var hf = new Pretrainer(model, generator, options, indexer).Run().HuggingFaceDirectory!;

            const string text = "吾輩は猫である。名前はまだ無い。";
            var loaded = Bert.Tokenization.BertIndexer.Load(hf);
            loaded.TokenizeToIds(text).Should().Equal(indexer.TokenizeToIds(text));
            using var embedder = Bert.Core.Embeddings.TextEmbedder.Load(hf);
            embedder.Indexer.Encode(text).InputIds.Should().Equal(indexer.Encode(text).InputIds);
            embedder.Embed(text).Should().HaveCount(config.HiddenSize);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("corpus", "*the corpus*")]
    [InlineData("generator", "*the batch generator's options*")]
    [InlineData("seed", "*the batch generator's options*the trainer options*")]
    [InlineData("learning-rate", "*the trainer options*")]
    [InlineData("config", "*the model config*")]
    public void Resuming_another_runs_checkpoint_is_refused_naming_what_differs(string change, string message)
    {
        var dir = TempDirectory();
        try
        {
            using (var first = NewModel(TinyConfig(), 71))
            {
                var options = Options(dir, 2);
                options.WarmupSteps = 1;
                options.ExportAtEnd = false;
                new Pretrainer(first, Generator(), options).Run();
            }
            using var model = NewModel(TinyConfig(dropout: change == "config" ? 0 : 0.1), 72);
            PretrainerOptions ResumeOptions()
            {
                var o = Options(dir, 4);
                o.WarmupSteps = 1;
                o.ExportAtEnd = false;
                o.Resume = true;
                return o;
            }
            var resume = ResumeOptions();
            var generator = Generator();
            switch (change)
            {
                case "corpus":
                    generator = new PretrainingBatchGenerator(CountingCorpus().Skip(1).ToList(), Vocabulary(),
                        new PretrainingBatchGeneratorOptions { MaxSequenceLength = 24, Seed = 1 });
                    break;
                case "generator": generator = Generator(maxLength: 16); break;
                case "seed": generator = Generator(seed: 2); resume.Seed = 78; break;
                case "learning-rate": resume.LearningRate = 1e-3; break;
            }
            var act = () => new Pretrainer(model, generator, resume).Run();
            act.Should().Throw<InvalidDataException>()
                .WithMessage($"'{Path.Combine(dir, "checkpoint", "trainer.json")}' belongs to another run: {message}another output folder*");

            // The same run resumes.
            using var same = NewModel(TinyConfig(), 73);
            new Pretrainer(same, Generator(), ResumeOptions()).Run().ResumedFromStep.Should().Be(2);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(nameof(PretrainerOptions.Steps))]
    [InlineData(nameof(PretrainerOptions.BatchSize))]
    [InlineData(nameof(PretrainerOptions.LearningRate))]
    [InlineData(nameof(PretrainerOptions.OutputDirectory))]
    [InlineData(nameof(PretrainerOptions.WeightDecay))]
    public void Invalid_options_name_the_property(string property)
    {
        var options = new PretrainerOptions { OutputDirectory = "/tmp/x" };
        switch (property)
        {
            case nameof(options.Steps): options.Steps = 0; break;
            case nameof(options.BatchSize): options.BatchSize = 0; break;
            case nameof(options.LearningRate): options.LearningRate = double.NaN; break;
            case nameof(options.OutputDirectory): options.OutputDirectory = " "; break;
            case nameof(options.WeightDecay): options.WeightDecay = double.PositiveInfinity; break;
        }
        options.Invoking(o => o.Validate()).Should().Throw<ArgumentException>().Which.ParamName.Should().Be(property);
    }

    [Fact]
    public void Sequences_longer_than_the_position_table_are_refused_up_front()
    {
        using var model = NewModel(TinyConfig(), 41);
        var act = () => new Pretrainer(model, Generator(maxLength: 64), new PretrainerOptions { OutputDirectory = "/tmp/unused" });
        act.Should().Throw<ArgumentException>().WithMessage("*64*32 positions*");
    }

    private sealed class SynchronousProgress(Action<PretrainingProgress> action) : IProgress<PretrainingProgress>
    {
        public void Report(PretrainingProgress value) => action(value);
    }
}
