using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Optimization;

/// <summary>
/// The small problem of TestData/optim/make_adam_warmup_goldens.py: its parameters, initial values and gradients
/// (the formulas of the script, in double precision then rounded to float32 as there), and its golden trajectories.
/// </summary>
internal sealed class GoldenProblem : IDisposable
{
    public const string SometimesName = "head.sometimes.weight";
    public static readonly string GoldenPath = Path.Combine(AppContext.BaseDirectory, "TestData", "optim", "adam_warmup_goldens.json");

    private static readonly Lazy<JsonDocument> Document = new(() => JsonDocument.Parse(File.ReadAllText(GoldenPath)));

    public GoldenProblem()
    {
        var specs = Document.Value.RootElement.GetProperty("parameters").EnumerateArray().ToArray();
        Names = specs.Select(s => s.GetProperty("name").GetString()!).ToArray();
        Shapes = specs.Select(s => s.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray()).ToArray();
        Scales = specs.Select(s => s.GetProperty("gradient_scale").GetDouble()).ToArray();
        Parameters = new Parameter[Names.Length];
        for (var j = 0; j < Names.Length; j++)
        {
            var n = (int)Shapes[j].Aggregate(1L, (a, b) => a * b);
            var offset = Names[j].Contains("LayerNorm.weight") ? 1.0 : 0.0;
            var values = Enumerable.Range(0, n).Select(k => (float)(offset + 0.8 * Math.Sin(0.9 * k + 1.1 * j + 0.5))).ToArray();
            Parameters[j] = new Parameter(tensor(values, Shapes[j]));
        }
    }

    public string[] Names { get; }
    public long[][] Shapes { get; }
    public double[] Scales { get; }
    public Parameter[] Parameters { get; }

    public IEnumerable<(string, Parameter)> Named => Names.Zip(Parameters);

    public static IEnumerable<string> CaseNames =>
        Document.Value.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    public static JsonElement Root => Document.Value.RootElement;

    public static JsonElement Case(string name) =>
        Document.Value.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    public static AdamWarmupOptionsSpec OptionsOf(JsonElement c)
    {
        var o = c.GetProperty("options");
        return new AdamWarmupOptionsSpec(
            o.GetProperty("learning_rate").GetDouble(), o.GetProperty("warmup_steps").GetInt64(), o.GetProperty("decay_steps").GetInt64(),
            o.GetProperty("min_learning_rate").GetDouble(), o.GetProperty("beta1").GetDouble(), o.GetProperty("beta2").GetDouble(),
            o.GetProperty("epsilon").GetDouble(), o.GetProperty("weight_decay").GetDouble(),
            o.GetProperty("weight_decay_exclusions").EnumerateArray().Select(e => e.GetString()!).ToArray(),
            o.GetProperty("amsgrad").GetBoolean(),
            o.GetProperty("max_grad_norm").ValueKind == JsonValueKind.Null ? null : o.GetProperty("max_grad_norm").GetDouble());
    }

    /// <summary>Sets every parameter's gradient for step <paramref name="t"/> (none for head.sometimes.weight when t % 3 == 0).</summary>
    public void SetGradients(long t)
    {
        for (var j = 0; j < Parameters.Length; j++)
        {
            if (Names[j] == SometimesName && t % 3 == 0)
            {
                Parameters[j].grad = null;
                continue;
            }
            var n = (int)Parameters[j].numel();
            var values = new float[n];
            for (var k = 0; k < n; k++)
                values[k] = (float)(Scales[j] * (Math.Sin(0.37 * t + 0.61 * k + 1.3 * j) + 0.3 * Math.Cos(0.11 * t * (k + 1))));
            using var g = tensor(values, Shapes[j]);
            Parameters[j].grad = g;
        }
    }

    public float[] Values(int j) => Parameters[j].data<float>().ToArray();

    public void Dispose()
    {
        foreach (var p in Parameters) p.Dispose();
    }
}

/// <summary>The options of one golden case, as written by the script.</summary>
internal sealed record AdamWarmupOptionsSpec(double LearningRate, long WarmupSteps, long DecaySteps, double MinLearningRate,
    double Beta1, double Beta2, double Epsilon, double WeightDecay, string[] Exclusions, bool Amsgrad, double? MaxGradNorm)
{
    public Bert.Core.Optimization.AdamWarmupOptions ToOptions() => new()
    {
        LearningRate = LearningRate,
        WarmupSteps = WarmupSteps,
        DecaySteps = DecaySteps,
        MinLearningRate = MinLearningRate,
        Beta1 = Beta1,
        Beta2 = Beta2,
        Epsilon = Epsilon,
        WeightDecay = WeightDecay,
        WeightDecayExclusions = Exclusions,
        Amsgrad = Amsgrad,
        MaxGradNorm = MaxGradNorm,
    };
}
