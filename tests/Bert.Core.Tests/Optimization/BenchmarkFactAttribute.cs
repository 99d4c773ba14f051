namespace Bert.Core.Tests.Optimization;

/// <summary>
/// A benchmark run by hand: skipped unless the environment variable BERT_BENCHMARKS is 1, e.g.
/// <c>BERT_BENCHMARKS=1 dotnet test tests/Bert.Core.Tests -c Release --filter "FullyQualifiedName~AdamWarmupBenchmarks" --logger "console;verbosity=detailed"</c>.
/// It prints timings and asserts no time.
/// </summary>
public sealed class BenchmarkFactAttribute : FactAttribute
{
    public BenchmarkFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("BERT_BENCHMARKS") != "1")
            Skip = "benchmark: run by hand with BERT_BENCHMARKS=1";
    }
}
