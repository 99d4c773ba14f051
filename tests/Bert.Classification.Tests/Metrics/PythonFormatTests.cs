using Bert.Classification.Metrics;

namespace Bert.Classification.Tests.Metrics;

/// <summary>Expected strings are Python 3's <c>format(value, '.{d}f')</c>, run by hand with /usr/bin/python3.</summary>
public sealed class PythonFormatTests
{
    [Theory]
    [InlineData(0.125, 2, "0.12")]
    [InlineData(0.375, 2, "0.38")]
    [InlineData(2.675, 2, "2.67")]
    [InlineData(1.005, 2, "1.00")]
    [InlineData(0.5, 0, "0")]
    [InlineData(1.5, 0, "2")]
    [InlineData(2.5, 0, "2")]
    [InlineData(1e-7, 4, "0.0000")]
    [InlineData(123.456, 1, "123.5")]
    [InlineData(-0.125, 2, "-0.12")]
    [InlineData(0.7857142857142857, 2, "0.79")]
    [InlineData(1.0, 4, "1.0000")]
    [InlineData(0.0, 2, "0.00")]
    [InlineData(5e-324, 3, "0.000")]
    [InlineData(1e22, 2, "10000000000000000000000.00")]
    [InlineData(0.045, 2, "0.04")]
    [InlineData(0.8235294117647058, 4, "0.8235")]
    public void Formats_like_python(double value, int digits, string expected)
    {
        PythonFormat.Fixed(value, digits).Should().Be(expected);
    }
}
