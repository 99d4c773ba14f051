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
