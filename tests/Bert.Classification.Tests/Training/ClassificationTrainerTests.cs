using Bert.Classification.Data;
using Bert.Classification.Training;
using Bert.Core.Training;
using static TorchSharp.torch;

namespace Bert.Classification.Tests.Training;

public class ClassificationTrainerTests
{
    private static ClassificationTrainerOptions Fast(int epochs = 3) => new()
    {
        Epochs = epochs,
        BatchSize = 16,
        LearningRate = 1e-3,
        WarmupProportion = 0.1,
        Seed = 7,
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]   // mixed precision: bfloat16 products, float32 weights and optimizer state
    public void Learns_a_toy_topic_task_that_the_untrained_model_does_not_know(bool mixedPrecision)
    {
        var indexer = ToyData.Indexer();
        var train = ToyData.Make(320, seed: 1);
        var validation = ToyData.Make(80, seed: 2);
        using var model = ToyData.Model(indexer.VocabSize, seed: 3);
        if (mixedPrecision) Bert.Core.Modeling.BertLinear.SetComputeType(model, ScalarType.BFloat16);
        var trainer = new ClassificationTrainer(model, indexer, ToyData.Labels, Fast(epochs: 8));
        double before = trainer.Evaluate(validation).Report!.Accuracy;

        var result = trainer.Train(train, validation);

        result.History.Should().HaveCount(8);
        result.History[^1].TrainLoss.Should().BeLessThan(result.History[0].TrainLoss);
        var after = trainer.Evaluate(validation);
        after.Report!.Accuracy.Should().BeGreaterThanOrEqualTo(0.9, $"untrained accuracy was {before:F3}");
        after.Report!.Accuracy.Should().Be(result.Best.Accuracy, "the best epoch's weights are restored");
        result.MaxSequenceLength.Should().Be(train.Select(e => indexer.Encode(e.Text).Length).Max());
        model.Bert.Embeddings.SparseWordGradients.Should().BeFalse("the trainer turns sparse word gradients on only while it trains");
    }

    [Fact]
    public void The_same_seed_gives_bit_identical_weights()
    {
        var indexer = ToyData.Indexer();
        var train = ToyData.Make(64, seed: 4);
        var validation = ToyData.Make(16, seed: 5);
        float[] Run()
        {
            using var model = ToyData.Model(indexer.VocabSize, seed: 6);
            new ClassificationTrainer(model, indexer, ToyData.Labels, Fast(epochs: 2)).Train(train, validation);
            return model.state_dict()["classifier.weight"].data<float>().ToArray()
                .Concat(model.state_dict()["bert.encoder.layer.0.attention.self.query.weight"].data<float>().ToArray()).ToArray();
        }
        Run().Should().Equal(Run());
    }

    [Fact]
    public void Default_options_repeat_a_run_without_any_manual_seed()
    {
        // The README's path: an encoder from a checkpoint (here: a fixed seeded one), a head and a trainer with their
        // default options, no torch.manual_seed anywhere; the global generator is disturbed between the runs.
        var indexer = ToyData.Indexer();
        var train = ToyData.Make(64, seed: 4);
        var validation = ToyData.Make(16, seed: 5);
        float[] Run(int disturbance)
        {
            TorchSharp.torch.manual_seed(disturbance);
            using var bert = new Bert.Core.Modeling.BertModelBuilder(ToyData.TinyConfig(indexer.VocabSize)).WithSeed(6).Build();
            using var model = new BertForSequenceClassification(bert, ToyData.Labels.Length);
            new ClassificationTrainer(model, indexer, ToyData.Labels, new ClassificationTrainerOptions { Epochs = 1, BatchSize = 16, LearningRate = 1e-3 })
                .Train(train, validation);
            return model.state_dict()["classifier.weight"].data<float>().ToArray()
                .Concat(model.state_dict()["bert.pooler.dense.weight"].data<float>().ToArray()).ToArray();
        }
        Run(100).Should().Equal(Run(200));
    }

    [Fact]
    public void A_run_cancelled_mid_epoch_resumes_from_its_checkpoint_to_the_same_weights()
    {
        var indexer = ToyData.Indexer();
        var train = ToyData.Make(96, seed: 8);
        var validation = ToyData.Make(32, seed: 9);
        using var dirs = new TempDirectory();

        float[] Weights(BertForSequenceClassification m) => m.state_dict()["bert.encoder.layer.1.output.dense.weight"].data<float>().ToArray();

        using var uninterrupted = ToyData.Model(indexer.VocabSize, seed: 10);
        var options = Fast(epochs: 3);
        options.CheckpointDirectory = Path.Combine(dirs.Path, "a");
        var full = new ClassificationTrainer(uninterrupted, indexer, ToyData.Labels, options).Train(train, validation);

        using var cts = new CancellationTokenSource();
        using (var first = ToyData.Model(indexer.VocabSize, seed: 10))
        {
            var optionsB = Fast(epochs: 3);
            optionsB.CheckpointDirectory = Path.Combine(dirs.Path, "b");
            var progress = new SyncProgress(p => { if (p.Epoch == 2 && p.Batch == 3) cts.Cancel(); });
            var act = () => new ClassificationTrainer(first, indexer, ToyData.Labels, optionsB).Train(train, validation, progress, cts.Token);
            act.Should().Throw<OperationCanceledException>();
        }

        using var resumed = ToyData.Model(indexer.VocabSize, seed: 999); // different init: the checkpoint must overwrite it
        var optionsC = Fast(epochs: 3);
        optionsC.CheckpointDirectory = Path.Combine(dirs.Path, "b");
        var result = new ClassificationTrainer(resumed, indexer, ToyData.Labels, optionsC).Train(train, validation);

        result.ResumedFromEpoch.Should().Be(1);
        result.History.Select(h => h.ValidationLoss).Should().Equal(full.History.Select(h => h.ValidationLoss));
        Weights(resumed).Should().Equal(Weights(uninterrupted));
    }

    [Fact]
    public void A_cancelled_run_leaves_the_best_complete_epoch_in_eval_mode_and_evaluate_cuts_at_the_trained_length()
    {
        var indexer = ToyData.Indexer();
        var train = ToyData.Make(96, seed: 8);
        var validation = ToyData.Make(32, seed: 9);
        float[] Weights(BertForSequenceClassification m) => m.state_dict()["bert.encoder.layer.1.output.dense.weight"].data<float>().ToArray();

        // Reference: the same run stopped after epoch 1 (the shuffles and masks of epoch e depend on (seed, e) only).
        using var oneEpoch = ToyData.Model(indexer.VocabSize, seed: 10);
        var options = Fast(epochs: 3);
        options.MaxSequenceLength = 6;
        var reference = new ClassificationTrainer(oneEpoch, indexer, ToyData.Labels, new ClassificationTrainerOptions
        {
            Epochs = 3, BatchSize = 16, LearningRate = 1e-3, WarmupProportion = 0.1, Seed = 7, MaxSequenceLength = 6,
        });
        using var cts0 = new CancellationTokenSource();
        var stopAtEpoch2 = new SyncProgress(p => { if (p.Epoch == 2 && p.Batch == 1) cts0.Cancel(); });
        ((Action)(() => reference.Train(train, validation, stopAtEpoch2, cts0.Token))).Should().Throw<OperationCanceledException>();

        using var model = ToyData.Model(indexer.VocabSize, seed: 10);
        var trainer = new ClassificationTrainer(model, indexer, ToyData.Labels, options);
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p.Epoch == 2 && p.Batch == 4) cts.Cancel(); });
        var act = () => trainer.Train(train, validation, progress, cts.Token);
        act.Should().Throw<OperationCanceledException>();

        model.training.Should().BeFalse();
        Weights(model).Should().Equal(Weights(oneEpoch), "epoch 1 is the only complete epoch, so its weights are restored");
        trainer.Evaluate(validation).Loss.Should().Be(trainer.Evaluate(validation, maxSequenceLength: 6).Loss);
        trainer.Evaluate(validation).Loss.Should().NotBe(trainer.Evaluate(validation, maxSequenceLength: 64).Loss);
    }

    [Fact]
    public void A_run_cancelled_in_its_first_epoch_gives_back_the_weights_it_started_from()
    {
        var indexer = ToyData.Indexer();
        using var model = ToyData.Model(indexer.VocabSize, seed: 10);
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());
        var trainer = new ClassificationTrainer(model, indexer, ToyData.Labels, Fast(epochs: 2));
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p.Epoch == 1 && p.Batch == 3) cts.Cancel(); });
        trainer.Invoking(t => t.Train(ToyData.Make(96, seed: 8), ToyData.Make(32, seed: 9), progress, cts.Token))
            .Should().Throw<OperationCanceledException>();
        model.training.Should().BeFalse();
        foreach (var (name, value) in model.state_dict())
            value.data<float>().ToArray().Should().Equal(before[name], $"{name}: no epoch completed, so nothing half-trained is kept");
    }

    [Fact]
    public void CheckData_gives_the_warnings_before_training_and_trains_nothing()
    {
        var indexer = ToyData.Indexer();
        using var model = ToyData.Model(indexer.VocabSize, seed: 14, numLabels: 3);
        var trainer = new ClassificationTrainer(model, indexer, [.. ToyData.Labels, "京都"], Fast());
        var before = model.state_dict()["classifier.weight"].data<float>().ToArray();
        trainer.CheckData(ToyData.Make(16, 1), ToyData.Make(8, 2)).Should().ContainSingle().Which.Should().Contain("京都").And.Contain("no training example");
        model.state_dict()["classifier.weight"].data<float>().ToArray().Should().Equal(before);
        var bad = ToyData.Make(8, 2);
        bad[1] = new TextExample(bad[1].Text, "大阪");
        trainer.Invoking(t => t.CheckData(ToyData.Make(16, 1), bad)).Should().Throw<ArgumentException>().WithMessage("*'大阪'*");
    }

    [Fact]
    public void Options_and_targets_that_would_fail_later_are_named_up_front()
    {
        var indexer = ToyData.Indexer();
        using var model = ToyData.Model(indexer.VocabSize, seed: 14);
        var zeroWeight = () => new ClassificationTrainerOptions { ClassWeights = new Dictionary<string, double> { ["グルメ"] = 0 } }.Validate();
        zeroWeight.Should().Throw<ArgumentException>().WithMessage("ClassWeights gives 'グルメ' the weight 0; weights must be positive*");

        using var oneLabel = ToyData.Model(indexer.VocabSize, seed: 14, new ClassificationHeadOptions { ProblemType = ProblemType.MultiLabel }, numLabels: 1);
        var single = () => new ClassificationTrainer(oneLabel, indexer, ["spam"], Fast());
        single.Should().Throw<ArgumentException>().WithMessage("A multi-label model needs at least two labels; it has 1.*");

        using var regression = ToyData.Model(indexer.VocabSize, seed: 14, new ClassificationHeadOptions { ProblemType = ProblemType.Regression }, numLabels: 1);
        var huge = ToyData.MakeRegression(16, seed: 1);
        huge[5] = new TextExample(huge[5].Text, 1e39) { Id = "big" };
        var tooBig = () => new ClassificationTrainer(regression, indexer, ["score"], Fast(epochs: 1)).Train(huge, ToyData.MakeRegression(8, seed: 2));
        tooBig.Should().Throw<ArgumentException>().WithMessage("Example 5 (big) has the target 1E+39, beyond float32's range*");

        using var pairModel = ToyData.Model(indexer.VocabSize, seed: 14);
        var pairOptions = Fast(epochs: 1);
        pairOptions.MaxSequenceLength = 2;
        var pairs = () => new ClassificationTrainer(pairModel, indexer, ToyData.PairLabels, pairOptions).Train(ToyData.MakePairs(16, 1), ToyData.MakePairs(8, 2));
        pairs.Should().Throw<ArgumentException>().WithMessage("MaxSequenceLength is 2, but pairs need at least 3 positions*");
    }

    [Fact]
    public void A_checkpoint_is_not_resumed_on_other_data_of_the_same_size_nor_while_another_run_holds_it()
    {
        var indexer = ToyData.Indexer();
        var validation = ToyData.Make(16, seed: 9);
        using var dirs = new TempDirectory();
        var options = Fast(epochs: 1);
        options.CheckpointDirectory = dirs.Path;
        using (var model = ToyData.Model(indexer.VocabSize, seed: 10))
            new ClassificationTrainer(model, indexer, ToyData.Labels, options).Train(ToyData.Make(48, seed: 8), validation);

        // Same count, same labels, same options: only the texts differ.
        using var other = ToyData.Model(indexer.VocabSize, seed: 10);
        var resume = () => new ClassificationTrainer(other, indexer, ToyData.Labels, options).Train(ToyData.Make(48, seed: 80), validation);
        resume.Should().Throw<InvalidOperationException>().WithMessage("*belongs to a different run*");

        // Another process training into the folder (a second open description of the lock file stands for it).
        File.WriteAllText(Path.Combine(dirs.Path, ".bert_net.lock.owner"), "process 7 (bert train)\n");
        using (new FileStream(Path.Combine(dirs.Path, ".bert_net.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var concurrent = () => new ClassificationTrainer(other, indexer, ToyData.Labels, options).Train(ToyData.Make(48, seed: 8), validation);
            concurrent.Should().Throw<IOException>().WithMessage("*in use by process 7 (bert train)*");
        }
    }

    [Fact]
    public void Deleting_a_checkpoint_removes_its_manifest_first_so_an_interrupted_delete_leaves_no_checkpoint()
    {
        var indexer = ToyData.Indexer();
        using var dirs = new TempDirectory();
        string dir = Path.Combine(dirs.Path, "run");
        var options = Fast(epochs: 1);
        options.CheckpointDirectory = dir;
        using var model = ToyData.Model(indexer.VocabSize, seed: 10);
        new ClassificationTrainer(model, indexer, ToyData.Labels, options).Train(ToyData.Make(32, seed: 8), ToyData.Make(16, seed: 9));
        File.Exists(Path.Combine(dir, "checkpoint", "bert_net_manifest.json")).Should().BeTrue();

        // A delete killed right after its first step: the manifest is gone, the weights are still there.
        File.Delete(Path.Combine(dir, "checkpoint", "bert_net_manifest.json"));
        var options2 = Fast(epochs: 1);
        options2.CheckpointDirectory = dir;
        new ClassificationTrainer(model, indexer, ToyData.Labels, options2).Train(ToyData.Make(32, seed: 8), ToyData.Make(16, seed: 9))
            .ResumedFromEpoch.Should().Be(0, "a folder without a manifest holds no checkpoint: the run starts afresh instead of refusing");

        ClassificationTrainer.DeleteCheckpoint(dir);
        Directory.Exists(Path.Combine(dir, "checkpoint")).Should().BeFalse();
        Directory.Exists(dir).Should().BeTrue("the caller's CheckpointDirectory is never removed");
    }

    [Fact]
    public void A_second_run_sharing_the_checkpoint_directory_in_the_same_process_fails_at_once()
    {
        var indexer = ToyData.Indexer();
        using var dirs = new TempDirectory();
        var options = Fast(epochs: 1);
        options.CheckpointDirectory = dirs.Path;
        using var model = ToyData.Model(indexer.VocabSize, seed: 10);
        // The first run's lock, as Train takes it (the same process, another caller).
        using (Bert.Core.IO.FolderLock.Acquire(dirs.Path, "training a classifier"))
        {
            var second = () => new ClassificationTrainer(model, indexer, ToyData.Labels, options).Train(ToyData.Make(32, seed: 8), ToyData.Make(16, seed: 9));
            second.Should().Throw<IOException>().WithMessage($"'{dirs.Path}' is in use by process {Environment.ProcessId} *training a classifier*");
        }
        Directory.Exists(Path.Combine(dirs.Path, "checkpoint")).Should().BeFalse("the second run wrote nothing");
    }

    [Fact]
    public void A_diverging_loss_stops_with_the_epoch_and_step()
    {
        var indexer = ToyData.Indexer();
        using var model = ToyData.Model(indexer.VocabSize, seed: 11);
        var options = Fast(epochs: 2);
        options.LearningRate = 1e30;
        options.MaxGradNorm = null;
        options.WarmupProportion = 0;
        var act = () => new ClassificationTrainer(model, indexer, ToyData.Labels, options).Train(ToyData.Make(64, 12), ToyData.Make(16, 13));
        act.Should().Throw<TrainingDivergedException>().Where(e => e.Step >= 1 && e.Epoch == 1).WithMessage("*epoch 1, batch*");
    }

    [Fact]
    public void Unknown_labels_are_named()
    {
        var indexer = ToyData.Indexer();
        using var model = ToyData.Model(indexer.VocabSize, seed: 14);
        var trainer = new ClassificationTrainer(model, indexer, ToyData.Labels, Fast());
        var bad = ToyData.Make(8, 15);
        bad[3] = new TextExample(bad[3].Text, "京都");
        var act = () => trainer.Train(ToyData.Make(8, 16), bad);
        act.Should().Throw<ArgumentException>().WithMessage("*'京都'*");
    }

    [Fact]
    public void Bucketed_batches_cover_every_example_once_and_pad_less()
    {
        var indexer = ToyData.Indexer();
        using var model = ToyData.Model(indexer.VocabSize, seed: 17);
        var texts = ToyData.Make(800, 18);
        var lengths = texts.Select(t => indexer.Encode(t.Text).Length).ToArray();
        long Padding(List<int[]> batches) => batches.Sum(b => b.Length * (long)b.Max(i => lengths[i]) - b.Sum(i => (long)lengths[i]));

        var bucketed = new ClassificationTrainer(model, indexer, ToyData.Labels, Fast()).BatchOrder(lengths, epoch: 1);
        var plainOptions = Fast();
        plainOptions.LengthBucketing = false;
        var plain = new ClassificationTrainer(model, indexer, ToyData.Labels, plainOptions).BatchOrder(lengths, epoch: 1);

        bucketed.SelectMany(b => b).Should().BeEquivalentTo(Enumerable.Range(0, lengths.Length));
        bucketed.Should().HaveCount(50);
        Padding(bucketed).Should().BeLessThan(Padding(plain) / 2);
    }

    [Fact]
    public void PadToMultipleOf_below_1_is_named()
    {
        var act = () => new ClassificationTrainerOptions { PadToMultipleOf = 0 }.Validate();
        act.Should().Throw<ArgumentException>().WithMessage("PadToMultipleOf must be at least 1; it is 0.*");
    }

    private sealed class SyncProgress(Action<TrainingProgress> action) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => action(value);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Training_a_bfloat16_model_warns_once_exactly_where_bfloat16_is_slower_than_float32(bool mixedPrecision)
    {
        var indexer = ToyData.Indexer();
        var warnings = new List<string>();
        void Collect(string message) => warnings.Add(message);
        Bert.Core.BertWarnings.Reset();
        Bert.Core.BertWarnings.Warning += Collect;
        try
        {
            using var model = ToyData.Model(indexer.VocabSize, seed: 12);
            if (mixedPrecision)
            {
                Bert.Core.Modeling.BertLinear.SetComputeType(model, ScalarType.BFloat16);
                // Setting it warned already (where bfloat16 is emulated): the trainer must warn on its own too.
                Bert.Core.BertWarnings.Reset();
                warnings.Clear();
            }
            else
            {
                TorchSharp.ModuleExtensionMethods.to(model, ScalarType.BFloat16);
            }
            var result = new ClassificationTrainer(model, indexer, ToyData.Labels, new ClassificationTrainerOptions { Epochs = 1, BatchSize = 16, LearningRate = 1e-3, Seed = 7 }).Train(ToyData.Make(16, seed: 13), ToyData.Make(8, seed: 14));
            double.IsFinite(result.History[0].TrainLoss).Should().BeTrue();
            if (mixedPrecision)
                model.parameters().Should().OnlyContain(p => p.dtype == ScalarType.Float32, "mixed precision trains float32 weights");
        }
        finally
        {
            Bert.Core.BertWarnings.Warning -= Collect;
        }
        if (Bert.Core.CpuCapabilities.HasFastBFloat16)
            warnings.Should().BeEmpty();
        else
            warnings.Should().ContainSingle().Which.Should().Contain("SLOWER than float32");
    }
}

public class ClassificationTrainerOptionTests
{
    [Fact]
    public void Frozen_prefixes_stay_unchanged_while_the_head_trains()
    {
        var indexer = ToyData.Indexer();
        using var model = ToyData.Model(indexer.VocabSize, seed: 31);
        float[] Of(string name) => model.state_dict()[name].data<float>().ToArray();
        var encoderBefore = Of("bert.encoder.layer.0.attention.self.query.weight");
        var headBefore = Of("classifier.weight");
        var options = new ClassificationTrainerOptions { Epochs = 1, LearningRate = 1e-3, Seed = 1, FreezePrefixes = new[] { "bert." } };
        new ClassificationTrainer(model, indexer, ToyData.Labels, options).Train(ToyData.Make(32, 32), ToyData.Make(8, 33));
        Of("bert.encoder.layer.0.attention.self.query.weight").Should().Equal(encoderBefore);
        Of("classifier.weight").Should().NotEqual(headBefore);
    }

    [Fact]
    public void Early_stopping_ends_training_after_the_patience_runs_out()
    {
        var indexer = ToyData.Indexer();
        using var model = ToyData.Model(indexer.VocabSize, seed: 34);
        // A learning rate too small to change any prediction: the validation accuracy never improves after epoch 1.
        var options = new ClassificationTrainerOptions { Epochs = 6, LearningRate = 1e-12, Seed = 1, EarlyStoppingPatience = 2 };
        var result = new ClassificationTrainer(model, indexer, ToyData.Labels, options).Train(ToyData.Make(32, 35), ToyData.Make(8, 36));
        result.StoppedEarly.Should().BeTrue();
        result.History.Should().HaveCount(3);
        result.BestEpoch.Should().Be(1);
    }

    [Fact]
    public void Gradient_accumulation_divides_the_optimizer_steps_of_the_schedule()
    {
        var indexer = ToyData.Indexer();
        using var model = ToyData.Model(indexer.VocabSize, seed: 37);
        var options = new ClassificationTrainerOptions { Epochs = 2, BatchSize = 8, GradientAccumulationSteps = 2, LearningRate = 1e-3, Seed = 1 };
        var result = new ClassificationTrainer(model, indexer, ToyData.Labels, options).Train(ToyData.Make(40, 38), ToyData.Make(8, 39));
        // 40 examples / 8 = 5 batches per epoch -> ceil(5 / 2) = 3 optimizer steps per epoch, 6 in all; warmup floor(0.6) = 0.
        result.TotalSteps.Should().Be(6);
        result.WarmupSteps.Should().Be(0);
    }
}
