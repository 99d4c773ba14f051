using Bert.Core.Modeling;
using TorchSharp;

namespace Bert.Core.Tests;

public class CpuCapabilitiesTests
{
    [Fact]
    public void The_isa_agrees_with_the_flags_the_kernel_reports()
    {
        if (!File.Exists("/proc/cpuinfo")) return;
        var flags = CpuInfo.Flags;
        string expected = flags.Contains("avx512f") ? (flags.Contains("avx512_bf16") || flags.Contains("amx_bf16") ? "avx512_bf16" : "avx512")
            : flags.Contains("avx2") ? "avx2" : "baseline";
        CpuCapabilities.Isa.Should().Be(expected);
        CpuCapabilities.ModelName.Should().NotBeNullOrWhiteSpace();
        CpuCapabilities.Vendor.Should().Be(CpuInfo.Vendor, "CPUID and /proc/cpuinfo name the same vendor");
        CpuCapabilities.InferenceTuningMeasured.Should().Be(CpuInfo.InferenceTuningExpected);
        // bfloat16 outruns float32 with AMX, or with avx512_bf16 off Intel (Intel's VDPBF16PS runs at half the FMA rate).
        CpuCapabilities.HasFastBFloat16.Should().Be(
            CpuInfo.Flags.Contains("amx_bf16") || (CpuInfo.Flags.Contains("avx512_bf16") && CpuInfo.Vendor != "GenuineIntel"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Building_a_bfloat16_model_warns_once_exactly_where_bfloat16_is_slower_than_float32(bool mixedPrecision)
    {
        var warnings = new List<string>();
        void Collect(string message) => warnings.Add(message);
        BertWarnings.Reset();
        BertWarnings.Warning += Collect;
        try
        {
            var config = new BertConfig { VocabSize = 10, HiddenSize = 8, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 16, MaxPositionEmbeddings = 8 };
            for (int i = 0; i < 2; i++)
            {
                var builder = new BertModelBuilder(config);
                using var model = (mixedPrecision ? builder.WithComputeType(torch.ScalarType.BFloat16) : builder.WithDType(torch.ScalarType.BFloat16)).Build();
                if (mixedPrecision) BertLinear.ComputeTypeOf(model).Should().Be(torch.ScalarType.BFloat16);
            }
        }
        finally
        {
            BertWarnings.Warning -= Collect;
        }
        if (CpuCapabilities.HasFastBFloat16)
            warnings.Should().BeEmpty();
        else
            warnings.Should().ContainSingle().Which.Should().Contain("SLOWER than float32").And.Contain(CpuCapabilities.Isa);
    }
}
