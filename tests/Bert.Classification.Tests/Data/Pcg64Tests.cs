using Bert.Core;
using System.Text.Json;
using Bert.Classification.Data;

namespace Bert.Classification.Tests.Data;

/// <summary>Pcg64 against numpy's PCG64 bit generator (TestData/data/make_split_goldens.py).</summary>
public sealed class Pcg64Tests
{
    [Fact]
    public void Raw_outputs_equal_numpys_pcg64_from_the_same_state()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "data", "split_goldens.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var golden in document.RootElement.GetProperty("pcg64").EnumerateArray())
        {
            var rng = new Pcg64(UInt128.Parse(golden.GetProperty("state").GetString()!), UInt128.Parse(golden.GetProperty("inc").GetString()!));
            var expected = golden.GetProperty("raw").EnumerateArray().Select(e => ulong.Parse(e.GetString()!)).ToArray();
            expected.Select(_ => rng.NextUInt64()).Should().Equal(expected);
        }
    }

    [Fact]
    public void Same_seed_gives_the_same_sequence_and_different_seeds_differ()
    {
        var a = new Pcg64(42);
        var b = new Pcg64(42);
        var c = new Pcg64(43);
        var sa = Enumerable.Range(0, 100).Select(_ => a.NextUInt64()).ToArray();
        Enumerable.Range(0, 100).Select(_ => b.NextUInt64()).Should().Equal(sa);
        Enumerable.Range(0, 100).Select(_ => c.NextUInt64()).Should().NotIntersectWith(sa);
    }

    [Fact]
    public void Bounded_integers_are_in_range_and_uniform()
    {
        var rng = new Pcg64(1);
        var counts = new int[10];
        for (var i = 0; i < 100_000; i++)
            counts[rng.NextInt(10)]++;
        // Chi-square with 9 degrees of freedom; 27.88 is the 0.999 quantile.
        counts.Sum(o => (o - 10_000.0) * (o - 10_000.0) / 10_000.0).Should().BeLessThan(27.88);
        Enumerable.Range(0, 1000).Select(_ => rng.NextInt(1)).Should().OnlyContain(x => x == 0);
        Enumerable.Range(0, 1000).Select(_ => rng.NextDouble()).Should().OnlyContain(x => x >= 0 && x < 1);
        FluentActions.Invoking(() => rng.NextInt(0)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Shuffle_is_a_permutation()
    {
        var items = Enumerable.Range(0, 50).ToList();
        new Pcg64(3).Shuffle(items);
        items.Should().BeEquivalentTo(Enumerable.Range(0, 50));
        items.Should().NotEqual(Enumerable.Range(0, 50));
    }

    [Fact]
    public void A_saved_state_continues_the_same_stream_and_a_foreign_one_is_refused()
    {
        var original = new Pcg64(2026);
        for (var i = 0; i < 17; i++) original.NextUInt64();
        var state = original.State;
        var restored = new Pcg64(1) { State = state };
        Enumerable.Range(0, 100).Select(_ => restored.NextUInt64()).Should().Equal(Enumerable.Range(0, 100).Select(_ => original.NextUInt64()));
        FluentActions.Invoking(() => restored.State = [1, 2, 3]).Should().Throw<ArgumentException>().WithMessage("*4 words*");
        FluentActions.Invoking(() => restored.State = [1, 2, 3, 4]).Should().Throw<ArgumentException>().WithMessage("*must be odd*");
    }
}
