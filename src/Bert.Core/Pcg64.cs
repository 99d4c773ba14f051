namespace Bert.Core;

/// <summary>
/// A small seeded pseudo-random generator, PCG XSL-RR 128/64 (O'Neill 2014; the same algorithm and constants as
/// numpy's <c>PCG64</c> bit generator, against which it is tested): the one seeded generator of Bert.NET, so that splits,
/// bootstrap resamples, training shuffles and pretraining batches are the same for a seed on every machine and .NET
/// version, and a pretraining checkpoint can save its whole state (<see cref="State"/>) to resume the same stream. <see cref="System.Random"/> is not used: only its legacy
/// seeded algorithm is stable across versions, and it is not specified anywhere else.
/// </summary>
/// <remarks>
/// Seeding (Bert.NET's choice, not numpy's SeedSequence): the 128-bit state and increment are four outputs of
/// SplitMix64 started at the seed (increment forced odd), followed by one step. Bounded integers use Lemire's
/// unbiased multiply-and-reject method; doubles take the top 53 bits. Not thread-safe; not cryptographic.
/// </remarks>
internal sealed class Pcg64
{
    private static readonly UInt128 Multiplier = new(0x2360ED051FC65DA4UL, 0x4385DF649FCCF645UL);

    private UInt128 _state;
    private UInt128 _increment;

    /// <summary>Creates a generator from a 64-bit seed.</summary>
    /// <param name="seed">Any value; equal seeds give equal sequences.</param>
    public Pcg64(ulong seed)
    {
        var s = seed;
        var a = SplitMix64(ref s);
        var b = SplitMix64(ref s);
        var c = SplitMix64(ref s);
        var d = SplitMix64(ref s);
        _state = new UInt128(a, b);
        _increment = new UInt128(c, d) | UInt128.One;
        Step();
    }

    /// <summary>Creates a generator from a 32-bit seed (sign-extended to 64 bits).</summary>
    /// <param name="seed">Any value; equal seeds give equal sequences.</param>
    public Pcg64(int seed)
        : this(unchecked((ulong)(long)seed))
    {
    }

    /// <summary>Creates a generator with a raw state and increment, exactly as numpy's <c>PCG64.state</c> setter.</summary>
    internal Pcg64(UInt128 state, UInt128 increment)
    {
        _state = state;
        _increment = increment;
    }

    /// <summary>
    /// The whole state as four words (state high, state low, increment high, increment low), to save and restore a
    /// stream exactly. Setting it checks the shape and that the increment is odd, as every seeded generator's is.
    /// </summary>
    /// <exception cref="ArgumentException">Not four words, or an even increment.</exception>
    internal ulong[] State
    {
        get => [(ulong)(_state >> 64), (ulong)_state, (ulong)(_increment >> 64), (ulong)_increment];
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Length != 4)
                throw new ArgumentException($"A Pcg64 state has 4 words (state and increment, high and low), not {value.Length}.", nameof(value));
            if ((value[3] & 1) == 0)
                throw new ArgumentException("A Pcg64 state's increment (the last word) must be odd; this one is even, so the state was not saved by Pcg64.", nameof(value));
            _state = new UInt128(value[0], value[1]);
            _increment = new UInt128(value[2], value[3]);
        }
    }

    /// <summary>The next 64 random bits (numpy: <c>PCG64.random_raw()</c>).</summary>
    /// <returns>A uniformly distributed 64-bit value.</returns>
    public ulong NextUInt64()
    {
        Step();
        var high = (ulong)(_state >> 64);
        var low = (ulong)_state;
        var rotation = (int)(_state >> 122);
        return ulong.RotateRight(high ^ low, rotation);
    }

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    /// <param name="maxExclusive">The exclusive upper bound, at least 1.</param>
    /// <returns>The integer.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxExclusive"/> is below 1.</exception>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxExclusive, 1);
        var bound = (ulong)maxExclusive;
        var product = (UInt128)NextUInt64() * bound;
        var low = (ulong)product;
        if (low < bound)
        {
            var threshold = (0UL - bound) % bound;
            while (low < threshold)
            {
                product = (UInt128)NextUInt64() * bound;
                low = (ulong)product;
            }
        }
        return (int)(ulong)(product >> 64);
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    /// <returns>The double.</returns>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates, from the end).</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="items">The list to shuffle.</param>
    public void Shuffle<T>(IList<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private void Step() => _state = unchecked(_state * Multiplier + _increment);

    private static ulong SplitMix64(ref ulong state)
    {
        unchecked
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
