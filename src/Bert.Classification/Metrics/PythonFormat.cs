using System.Globalization;
using System.Numerics;

namespace Bert.Classification.Metrics;

/// <summary>
/// Fixed-point formatting exactly as Python's <c>'{:.{d}f}'</c>: the exact binary value of the double rounded to
/// <c>d</c> decimals, ties to even (0.125 → "0.12", 0.375 → "0.38"). .NET's "F" format rounds ties away from
/// zero, which would differ from scikit-learn's text report on exact binary fractions.
/// </summary>
internal static class PythonFormat
{
    /// <summary>Formats <paramref name="value"/> with <paramref name="digits"/> decimals, Python style.</summary>
    public static string Fixed(double value, int digits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(digits);
        if (double.IsNaN(value))
            return "nan";
        if (double.IsInfinity(value))
            return value > 0 ? "inf" : "-inf";
        var bits = BitConverter.DoubleToInt64Bits(value);
        var negative = bits < 0;
        var exponent = (int)((bits >> 52) & 0x7FF);
        var fraction = bits & 0xFFFFFFFFFFFFFL;
        BigInteger mantissa;
        int power;
        if (exponent == 0)
        {
            mantissa = fraction;
            power = -1074;
        }
        else
        {
            mantissa = fraction | (1L << 52);
            power = exponent - 1075;
        }
        // value = mantissa * 2^power; scaled = value * 10^digits, rounded half to even.
        var numerator = mantissa * BigInteger.Pow(10, digits);
        BigInteger rounded;
        if (power >= 0)
        {
            rounded = numerator << power;
        }
        else
        {
            var denominator = BigInteger.One << -power;
            var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
            var twice = remainder * 2;
            var compare = twice.CompareTo(denominator);
            rounded = compare > 0 || (compare == 0 && !quotient.IsEven) ? quotient + 1 : quotient;
        }
        var text = rounded.ToString(CultureInfo.InvariantCulture).PadLeft(digits + 1, '0');
        var result = digits == 0 ? text : text[..^digits] + "." + text[^digits..];
        return negative ? "-" + result : result;
    }
}
