using Bert.Core.Optimization;
using TorchSharp;
using Xunit.Abstractions;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Optimization;

public class AdamWarmupTests
{
    private readonly ITestOutputHelper _output;

    public AdamWarmupTests(ITestOutputHelper output)
    {
        _output = output;
        TorchRuntime.EnsureAvailable();
    }

    public static TheoryData<string, bool> GoldenCases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in GoldenProblem.CaseNames)
        {
            data.Add(name, false);
            data.Add(name, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void Parameters_follow_the_numpy_keras_bert_trajectory(string caseName, bool tensorOperations)
    {
        var golden = GoldenProblem.Case(caseName);
        using var problem = new GoldenProblem();
        InitialValuesMatchTheScript(problem);
        using var optimizer = new AdamWarmup(problem.Named, GoldenProblem.OptionsOf(golden).ToOptions()) { UseTensorOperations = tensorOperations };

        var snapshots = golden.GetProperty("snapshots").EnumerateArray().ToDictionary(s => s.GetProperty("step").GetInt64());
        var worst = 0.0;
        for (long t = 1; t <= snapshots.Keys.Max(); t++)
        {
            problem.SetGradients(t);
            optimizer.Step();
            if (!snapshots.TryGetValue(t, out var snapshot)) continue;

            optimizer.StepCount.Should().Be(t);
            optimizer.CurrentLearningRate.Should().BeApproximately(snapshot.GetProperty("learning_rate").GetDouble(), 1e-15);
            var norm = snapshot.GetProperty("grad_norm");
            if (norm.ValueKind == System.Text.Json.JsonValueKind.Null)
                optimizer.LastGradNorm.Should().BeNull();
            else
                optimizer.LastGradNorm!.Value.Should().BeApproximately(norm.GetDouble(), 1e-6 * norm.GetDouble());

            var expected = snapshot.GetProperty("parameters");
            for (var j = 0; j < problem.Names.Length; j++)
            {
                var reference = expected.GetProperty(problem.Names[j]).EnumerateArray().Select(e => e.GetDouble()).ToArray();
                var actual = problem.Values(j);
                for (var k = 0; k < actual.Length; k++)
                {
                    // Relative 1e-6 of the reference, with a float32 floor: the C# parameters are float32, whose
                    // spacing near 1 is 1.2e-7, and each of up to 100 updates rounds theta once (float64 reference).
                    var tolerance = 1e-6 * Math.Abs(reference[k]) + 2e-7;
                    var error = Math.Abs(actual[k] - reference[k]);
                    worst = Math.Max(worst, error / tolerance);
                    error.Should().BeLessThanOrEqualTo(tolerance,
                        $"{caseName}: {problem.Names[j]}[{k}] after step {t} is {actual[k]:R}, NumPy gives {reference[k]:R}");
                }
            }
        }
        _output.WriteLine($"{caseName} ({(tensorOperations ? "tensor operations" : "fused kernel")}): largest error / tolerance = {worst:F3}");
        worst.Should().BeLessThan(1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void One_step_matches_the_hand_computed_keras_update(bool tensorOperations)
    {
        // t = 1, W = 0, D = 100: lr_s = 0.1 * (1 - 1/100) = 0.099; m = 0.1 g, v = 0.001 g^2,
        // lr_t = lr_s * sqrt(0.001) / 0.1, so theta_1 = theta_0 - lr_s * g / (|g| + eps / sqrt(0.001)).
        // PyTorch's eps placement would give theta_0 - lr_s * g / (|g| + eps): with g = 1e-6 and eps = 1e-7, an update 3.8 times larger.
        var g = new[] { 0.5f, -2f, 1e-6f, 0f };
        using var p = new Parameter(torch.tensor(new[] { 1f, 1f, 1f, 1f }));
        using var optimizer = new AdamWarmup(new[] { p }, new AdamWarmupOptions { LearningRate = 0.1, DecaySteps = 100 })
        { UseTensorOperations = tensorOperations };
        p.grad = torch.tensor(g);
        optimizer.Step();
        optimizer.CurrentLearningRate.Should().BeApproximately(0.099, 1e-16);
        var theta = p.data<float>().ToArray();
        for (var k = 0; k < g.Length; k++)
        {
            var expected = 1 - 0.099 * g[k] / (Math.Abs(g[k]) + 1e-7 / Math.Sqrt(0.001));
            theta[k].Should().BeApproximately((float)expected, 1e-7f, $"element {k} with gradient {g[k]}");
        }
        theta[2].Should().BeApproximately(0.9762149f, 1e-7f, "1 - 0.099 * 1e-6 / (1e-6 + 3.1623e-6); PyTorch's placement gives 0.91");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_tensor_split_across_threads_gets_the_hand_computed_first_step(bool tensorOperations)
    {
        // 600,001 elements: three chunks of the fused kernel (2^18 elements each), run in parallel, and a scalar tail.
        const int N = 600_001;
        torch.manual_seed(7);
        using var theta0 = torch.randn(N);
        using var grad = torch.randn(N);
        using var p = new Parameter(theta0.clone());
        using var optimizer = new AdamWarmup(new[] { ("big.weight", p) },
            new AdamWarmupOptions { LearningRate = 0.01, WarmupSteps = 4, DecaySteps = 100, WeightDecay = 0.5 }) { UseTensorOperations = tensorOperations };
        p.grad = grad;
        optimizer.Step();
        // t = 1, lr_s = 0.01 / 4: theta_1 = theta_0 - lr_s * sqrt(1 - b2) / (1 - b1) * ((1 - b1) g / (sqrt(1 - b2) |g| + eps) + wd theta_0).
        var t0 = theta0.data<float>().ToArray();
        var g = grad.data<float>().ToArray();
        var actual = p.data<float>().ToArray();
        var lrT = 0.0025 * Math.Sqrt(0.001) / 0.1;
        var worst = 0.0;
        for (var k = 0; k < N; k++)
        {
            var expected = t0[k] - lrT * (0.1 * g[k] / (Math.Sqrt(0.001) * Math.Abs(g[k]) + 1e-7) + 0.5 * t0[k]);
            worst = Math.Max(worst, Math.Abs(actual[k] - expected) / (1e-6 * Math.Abs(expected) + 1e-7));
        }
        worst.Should().BeLessThan(1, "every element, in every chunk and the tail, follows the formula");
    }

    [Fact]
    public void Named_parameters_split_into_decay_and_no_decay_groups_by_name()
    {
        using var problem = new GoldenProblem();
        using var optimizer = new AdamWarmup(problem.Named, new AdamWarmupOptions { DecaySteps = 10, WeightDecay = 0.01 });
        optimizer.ParameterCount.Should().Be(7);
        optimizer.NoDecayParameterNames.Should().Equal("encoder.dense.bias", "encoder.LayerNorm.weight", "encoder.LayerNorm.bias");
        optimizer.NoDecayTensorCount.Should().Be(3);
        optimizer.NoDecayElementCount.Should().Be(12);
        optimizer.DecayTensorCount.Should().Be(4);
        optimizer.DecayElementCount.Should().Be(12 + 63 + 6 + 5);
        optimizer.ToString().Should().Be(
            "AdamWarmup: 7 tensors (98 elements); weight decay 0.01 on 4 tensors (86 elements), none on 3 (12) matching bias, LayerNorm");
    }

    [Fact]
    public void Unnamed_parameters_all_decay_when_no_exclusions_are_set()
    {
        using var problem = new GoldenProblem();
        var options = new AdamWarmupOptions { DecaySteps = 10, WeightDecay = 0.01, WeightDecayExclusions = Array.Empty<string>() };
        using var optimizer = new AdamWarmup(problem.Parameters, options);
        optimizer.DecayTensorCount.Should().Be(7);
        optimizer.NoDecayTensorCount.Should().Be(0);
    }

    [Fact]
    public void Unnamed_parameters_with_weight_decay_exclusions_are_refused()
    {
        using var problem = new GoldenProblem();
        var act = () => new AdamWarmup(problem.Parameters, new AdamWarmupOptions { DecaySteps = 10, WeightDecay = 0.01 });
        act.Should().Throw<ArgumentException>().WithMessage("*named_parameters*");
    }

    [Fact]
    public void Constructor_rejects_empty_duplicate_and_invalid_input()
    {
        using var problem = new GoldenProblem();
        var options = new AdamWarmupOptions { DecaySteps = 10 };
        FluentActions.Invoking(() => new AdamWarmup(Array.Empty<Parameter>(), options)).Should().Throw<ArgumentException>().WithMessage("*no parameters*");
        FluentActions.Invoking(() => new AdamWarmup(new[] { problem.Parameters[0], problem.Parameters[0] }, options))
            .Should().Throw<ArgumentException>().WithMessage("*twice*");
        using (var tied = new Parameter(problem.Parameters[1].detach()))
            FluentActions.Invoking(() => new AdamWarmup(new[] { ("x.bias", problem.Parameters[1]), ("y.bias", tied) }, options))
                .Should().Throw<ArgumentException>().WithMessage("*#1 'y.bias' shares its memory with parameter #0 'x.bias'*");
        FluentActions.Invoking(() => new AdamWarmup(new[] { ("a", problem.Parameters[0]), ("a", problem.Parameters[1]) }, options))
            .Should().Throw<ArgumentException>().WithMessage("*'a' appears twice*");
        FluentActions.Invoking(() => new AdamWarmup(problem.Parameters, new AdamWarmupOptions()))
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be("DecaySteps");
    }

    [Fact]
    public void Options_are_copied_at_construction()
    {
        using var problem = new GoldenProblem();
        var options = new AdamWarmupOptions { LearningRate = 0.01, DecaySteps = 10 };
        using var optimizer = new AdamWarmup(problem.Parameters, options);
        options.LearningRate = 1;
        optimizer.Options.LearningRate.Should().Be(0.01);
    }

    [Fact]
    public void Parameters_without_gradient_keep_their_values_and_moments()
    {
        using var problem = new GoldenProblem();
        using var optimizer = new AdamWarmup(problem.Named, new AdamWarmupOptions { LearningRate = 0.1, DecaySteps = 100, WeightDecay = 0.1 });
        var before = problem.Values(0);
        var before1 = problem.Values(1);
        optimizer.Step(); // no gradients at all
        optimizer.StepCount.Should().Be(1);
        problem.Values(0).Should().Equal(before);

        problem.SetGradients(2);
        problem.Parameters[0].grad = null;
        optimizer.Step();
        problem.Values(0).Should().Equal(before);
        problem.Values(1).Should().NotEqual(before1);

        // Its moments are still zero: a first update at global step 3 moves it by lr_3 * sqrt(1 - b2^3) / (1 - b1^3) * (1 - b1) g / (sqrt(1 - b2) |g| + eps).
        problem.SetGradients(3);
        var g = problem.Parameters[0].grad!.data<float>().ToArray();
        optimizer.Step();
        var lrT = optimizer.CurrentLearningRate * Math.Sqrt(1 - Math.Pow(0.999, 3)) / (1 - Math.Pow(0.9, 3));
        var after = problem.Values(0);
        for (var k = 0; k < g.Length; k++)
        {
            var u = 0.1 * g[k] / (Math.Sqrt(0.001) * Math.Abs(g[k]) + 1e-7) + 0.1 * before[k];
            after[k].Should().BeApproximately((float)(before[k] - lrT * u), 2e-7f);
        }
    }

    [Fact]
    public void ZeroGrad_clears_the_gradients()
    {
        using var problem = new GoldenProblem();
        using var optimizer = new AdamWarmup(problem.Parameters, new AdamWarmupOptions { DecaySteps = 10 });
        problem.SetGradients(1);
        optimizer.ZeroGrad();
        problem.Parameters.Select(p => p.grad).Should().AllSatisfy(g => g.Should().BeNull());
    }

    [Fact]
    public void A_non_finite_gradient_norm_stops_a_clipped_step_before_anything_changes()
    {
        using var problem = new GoldenProblem();
        using var optimizer = new AdamWarmup(problem.Named, new AdamWarmupOptions { DecaySteps = 10, MaxGradNorm = 1 });
        problem.SetGradients(1);
        problem.Parameters[4].grad!.data<float>()[0, 3] = float.NaN;
        var before = problem.Values(0);
        FluentActions.Invoking(optimizer.Step).Should().Throw<InvalidOperationException>().WithMessage("*NaN*");
        optimizer.StepCount.Should().Be(0);
        problem.Values(0).Should().Equal(before);
    }

    [Fact]
    public void Step_after_dispose_throws()
    {
        using var problem = new GoldenProblem();
        var optimizer = new AdamWarmup(problem.Parameters, new AdamWarmupOptions { DecaySteps = 10 });
        optimizer.Dispose();
        FluentActions.Invoking(optimizer.Step).Should().Throw<ObjectDisposedException>();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Saving_and_loading_mid_run_then_continuing_equals_the_uninterrupted_run_bit_for_bit(bool tensorOperations)
    {
        var options = GoldenProblem.OptionsOf(GoldenProblem.Case("clip_global_norm")).ToOptions();
        options.Amsgrad = true;
        const int Total = 40, Interrupt = 17;

        float[][] uninterrupted;
        using (var problem = new GoldenProblem())
        using (var optimizer = new AdamWarmup(problem.Named, options) { UseTensorOperations = tensorOperations })
        {
            for (var t = 1; t <= Total; t++) { problem.SetGradients(t); optimizer.Step(); }
            uninterrupted = Enumerable.Range(0, problem.Names.Length).Select(problem.Values).ToArray();
        }

        var directory = Directory.CreateTempSubdirectory("adamwarmup-");
        try
        {
            var statePath = Path.Combine(directory.FullName, "optimizer.state");
            float[][] checkpoint;
            double? normAtInterrupt;
            using (var problem = new GoldenProblem())
            using (var optimizer = new AdamWarmup(problem.Named, options) { UseTensorOperations = tensorOperations })
            {
                for (var t = 1; t <= Interrupt; t++) { problem.SetGradients(t); optimizer.Step(); }
                optimizer.SaveState(statePath);
                checkpoint = Enumerable.Range(0, problem.Names.Length).Select(problem.Values).ToArray();
                normAtInterrupt = optimizer.LastGradNorm;
            }
            Directory.GetFiles(directory.FullName).Should().Equal(new[] { statePath }, "the temporary file was renamed");

            using (var problem = new GoldenProblem())
            using (var optimizer = new AdamWarmup(problem.Named, options) { UseTensorOperations = tensorOperations })
            {
                for (var j = 0; j < problem.Names.Length; j++)
                    using (var saved = torch.tensor(checkpoint[j], problem.Shapes[j]))
                    using (torch.no_grad())
                        problem.Parameters[j].copy_(saved);
                optimizer.LoadState(statePath);
                optimizer.StepCount.Should().Be(Interrupt);
                optimizer.LastGradNorm.Should().Be(normAtInterrupt);
                optimizer.CurrentLearningRate.Should().Be(options.LearningRateAt(Interrupt));
                for (var t = Interrupt + 1; t <= Total; t++) { problem.SetGradients(t); optimizer.Step(); }
                for (var j = 0; j < problem.Names.Length; j++)
                    problem.Values(j).Should().Equal(uninterrupted[j], $"{problem.Names[j]} resumes exactly");
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Loading_a_state_that_does_not_fit_names_what_differs()
    {
        var options = new AdamWarmupOptions { DecaySteps = 10 };
        using var problem = new GoldenProblem();
        using var optimizer = new AdamWarmup(problem.Named, options);
        problem.SetGradients(1);
        optimizer.Step();
        using var saved = new MemoryStream();
        optimizer.SaveState(saved);
        var bytes = saved.ToArray();

        using (var fewer = new AdamWarmup(problem.Named.Take(6), options))
            FluentActions.Invoking(() => fewer.LoadState(new MemoryStream(bytes)))
                .Should().Throw<InvalidDataException>().WithMessage("*holds 7 parameter tensors but this optimizer has 6*");

        using (var other = new Parameter(torch.zeros(4, 3)))
        using (var reshaped = new AdamWarmup(problem.Named.Select((x, i) => i == 0 ? ("encoder.dense.weight", other) : x), options))
            FluentActions.Invoking(() => reshaped.LoadState(new MemoryStream(bytes)))
                .Should().Throw<InvalidDataException>().WithMessage("*#0 'encoder.dense.weight'*shape [3, 4] but the parameter has [4, 3]*");

        using (var renamed = new AdamWarmup(problem.Named.Select((x, i) => i == 1 ? ("pooler.dense.bias", x.Item2) : x), options))
            FluentActions.Invoking(() => renamed.LoadState(new MemoryStream(bytes)))
                .Should().Throw<InvalidDataException>().WithMessage("*'encoder.dense.bias'*'pooler.dense.bias'*");

        using (var amsgrad = new AdamWarmup(problem.Named, new AdamWarmupOptions { DecaySteps = 10, Amsgrad = true }))
            FluentActions.Invoking(() => amsgrad.LoadState(new MemoryStream(bytes)))
                .Should().Throw<InvalidDataException>().WithMessage("*Amsgrad*");

        using (var fresh = new AdamWarmup(problem.Named, options))
        {
            FluentActions.Invoking(() => fresh.LoadState(new MemoryStream(bytes, 0, bytes.Length - 10)))
                .Should().Throw<InvalidDataException>().WithMessage("*truncated*");
            FluentActions.Invoking(() => fresh.LoadState(new MemoryStream(new byte[100])))
                .Should().Throw<InvalidDataException>().WithMessage("*not an AdamWarmup state*");
            fresh.StepCount.Should().Be(0, "a failed load changes nothing");
            FluentActions.Invoking(() => fresh.LoadState(Path.Combine(Path.GetTempPath(), "no-such-adamwarmup.state")))
                .Should().Throw<FileNotFoundException>();
        }
    }

    [Fact]
    public void An_MLP_trained_with_it_learns_XOR()
    {
        torch.manual_seed(1234);
        using var model = torch.nn.Sequential(
            ("hidden", torch.nn.Linear(2, 8)), ("act", torch.nn.Tanh()), ("out", torch.nn.Linear(8, 1)));
        using var x = torch.tensor(new float[] { 0, 0, 0, 1, 1, 0, 1, 1 }, 4, 2);
        using var y = torch.tensor(new float[] { 0, 1, 1, 0 }, 4, 1);
        double Loss()
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            return torch.nn.functional.binary_cross_entropy_with_logits(model.forward(x), y).item<float>();
        }

        var initial = Loss();
        var (total, warmup) = TrainingSteps.Calculate(numExamples: 4, batchSize: 4, epochs: 400);
        using var optimizer = new AdamWarmup(model.named_parameters(),
            new AdamWarmupOptions { LearningRate = 0.05, WarmupSteps = warmup, DecaySteps = total, WeightDecay = 1e-4 });
        optimizer.NoDecayParameterNames.Should().Equal("hidden.bias", "out.bias");
        for (var step = 0; step < total; step++)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.ZeroGrad();
            torch.nn.functional.binary_cross_entropy_with_logits(model.forward(x), y).backward();
            optimizer.Step();
        }
        var final = Loss();
        _output.WriteLine($"XOR: binary cross-entropy {initial:F4} untrained, {final:F5} after {total} steps (warm-up {warmup})");
        initial.Should().BeGreaterThan(0.6, "an untrained MLP does not solve XOR");
        final.Should().BeLessThan(0.02);
        optimizer.CurrentLearningRate.Should().Be(0, "the schedule ends at min_lr = 0");
    }

    [Fact]
    public void Memory_stays_flat_over_many_steps()
    {
        using var problem = new GoldenProblem();
        using var big = new Parameter(torch.randn(512, 1024));
        using var optimizer = new AdamWarmup(problem.Named.Append(("big.weight", big)),
            new AdamWarmupOptions { DecaySteps = 1000, WeightDecay = 0.01, Amsgrad = true, MaxGradNorm = 1 });
        using var bigGrad = torch.randn(512, 1024);
        void Run(int steps)
        {
            for (var t = 1; t <= steps; t++)
            {
                problem.SetGradients(t);
                big.grad = bigGrad;
                optimizer.Step();
            }
        }
        Run(20);
        var tensors = torch.Tensor.TotalCount;
        var rss = Environment.WorkingSet;
        Run(300);
        (torch.Tensor.TotalCount - tensors).Should().BeLessThanOrEqualTo(0, "every tensor a step creates is disposed");
        _output.WriteLine($"working set change over 300 steps: {(Environment.WorkingSet - rss) / 1e6:F1} MB");
        (Environment.WorkingSet - rss).Should().BeLessThan(64L << 20);
    }


    private static void InitialValuesMatchTheScript(GoldenProblem problem)
    {
        var specs = GoldenProblem.Root.GetProperty("parameters").EnumerateArray().ToArray();
        for (var j = 0; j < specs.Length; j++)
        {
            var initial = specs[j].GetProperty("initial").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
            problem.Values(j).Should().Equal(initial, $"the C# copy of the initial-value formula of {problem.Names[j]} matches the script");
        }
    }
}
