using System.Text.Json;
using Bert.Classification.Metrics;

namespace Bert.Classification.Tests.Metrics;

/// <summary>McNemar's exact test against scipy.stats.binomtest (TestData/metrics/make_metrics_goldens.py).</summary>
public sealed class McNemarTestTests
{
    private static readonly JsonElement Golden = Load();

    [Fact]
    public void P_values_equal_scipy_binomtest()
    {
        foreach (var pair in Golden.GetProperty("pairs").EnumerateArray())
        {
            var b = pair.GetProperty("b").GetInt32();
            var c = pair.GetProperty("c").GetInt32();
            var expected = pair.GetProperty("p_value").GetDouble();
            var result = McNemarTest.Exact(b, c);
            result.PValue.Should().BeApproximately(expected, 1e-12 + 1e-9 * expected, $"b={b}, c={c}");
            result.Discordant.Should().Be(b + c);
        }
    }

    [Fact]
    public void Counts_discordant_pairs_from_predictions_like_the_golden()
    {
        var paired = Golden.GetProperty("paired");
        string[] Read(string name) => paired.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToArray();
        var result = McNemarTest.Exact(Read("y_true"), Read("pred_a"), Read("pred_b"));
        result.B.Should().Be(paired.GetProperty("b").GetInt32());
        result.C.Should().Be(paired.GetProperty("c").GetInt32());
        result.PValue.Should().BeApproximately(paired.GetProperty("p_value").GetDouble(), 1e-12);
        result.ToString().Should().StartWith("McNemar exact test:");
    }

    [Fact]
    public void A_two_point_gain_on_419_sentences_is_not_significant()
    {
        // B right on 20 samples where A is wrong, A right on 12 where B is wrong: +8/419 = +1.9 points of accuracy.
        var result = McNemarTest.Exact(12, 20);
        result.PValue.Should().BeApproximately(0.2153, 1e-4, "scipy.stats.binomtest(12, 32).pvalue = 0.21534...");
        result.PValue.Should().BeGreaterThan(0.05);
    }

    [Fact]
    public void Hand_computed_small_case()
    {
        // b = 0, c = 5: p = 2 * (1/2)^5 = 0.0625.
        McNemarTest.Exact(0, 5).PValue.Should().BeApproximately(0.0625, 1e-15);
        McNemarTest.Exact(0, 0).PValue.Should().Be(1.0);
        McNemarTest.Exact(4, 4).PValue.Should().Be(1.0);
        var result = McNemarTest.Exact(["a", "a", "b", "b"], ["a", "b", "b", "a"], ["b", "a", "b", "a"]);
        result.B.Should().Be(1);
        result.C.Should().Be(1);
        // b = 3, c = 1: p = 2 (C(4,0) + C(4,1)) / 2^4 = 0.625.
        var byIndex = McNemarTest.Exact([0, 0, 1, 1, 2], [0, 1, 1, 0, 2], [1, 0, 0, 0, 0]);
        (byIndex.B, byIndex.C).Should().Be((3, 1));
        byIndex.PValue.Should().BeApproximately(0.625, 1e-14);
    }

    [Fact]
    public void Bad_input_is_an_argument_exception()
    {
        FluentActions.Invoking(() => McNemarTest.Exact(["a"], ["a", "b"], ["a"])).Should().Throw<ArgumentException>().WithMessage("*match*");
        FluentActions.Invoking(() => McNemarTest.Exact(Array.Empty<string>(), Array.Empty<string>(), Array.Empty<string>())).Should().Throw<ArgumentException>().WithMessage("*empty*");
        FluentActions.Invoking(() => McNemarTest.Exact(-1, 3)).Should().Throw<ArgumentOutOfRangeException>();
    }

    private static JsonElement Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "metrics", "mcnemar_goldens.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }
}
