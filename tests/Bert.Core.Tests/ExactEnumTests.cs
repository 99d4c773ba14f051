using Bert.Tokenization;
using Bert.Core.Checkpoints;

namespace Bert.Core.Tests;

public class ExactEnumTests
{
    [Theory]
    [InlineData("Float32", TensorFlowDType.Float32)]
    [InlineData("BFloat16", TensorFlowDType.BFloat16)]
    public void A_declared_name_parses(string text, TensorFlowDType expected) =>
        ExactEnum.Parse<TensorFlowDType>(text, "dtype", "x.json").Should().Be(expected);

    [Theory]
    [InlineData("1")] // Enum.Parse: Float32
    [InlineData("Float32, Float64")] // Enum.Parse: a flag combination
    [InlineData("float32")] // other casing
    [InlineData(" Float32")]
    [InlineData("Float32 ")]
    [InlineData("")]
    [InlineData(null)]
    public void Numbers_flag_lists_spaces_and_other_casings_are_refused_naming_file_field_and_names(string? text)
    {
        var act = () => ExactEnum.Parse<TensorFlowDType>(text, "bert_net.dtype", "x.json");
        act.Should().Throw<InvalidDataException>().WithMessage("x.json: 'bert_net.dtype' is *; expected one of Invalid, Float32, Float64,*");
    }
}
