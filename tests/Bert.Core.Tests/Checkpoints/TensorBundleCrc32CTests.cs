using Bert.Core.Checkpoints;

namespace Bert.Core.Tests.Checkpoints;

/// <summary>Crc32C (used by the tensor bundle reader and writer) against published check values.</summary>
public class TensorBundleCrc32CTests
{
    [Fact]
    public void Matches_the_CRC32C_check_value_and_the_LevelDB_test_vectors()
    {
        Crc32C.Compute("123456789"u8).Should().Be(0xE3069283u, "the CRC-32C (Castagnoli) check value");
        // leveldb util/crc32c_test.cc (from RFC 3720 section B.4).
        Crc32C.Compute(new byte[32]).Should().Be(0x8a9136aau);
        Crc32C.Compute(Enumerable.Repeat((byte)0xff, 32).ToArray()).Should().Be(0x62a8ab43u);
        Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()).Should().Be(0x46dd794eu);
        Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()).Should().Be(0x113fdb5cu);
    }

    [Fact]
    public void Extending_equals_computing_the_concatenation_at_every_split_and_alignment()
    {
        var data = Enumerable.Range(0, 300).Select(i => (byte)(i * 7 + 3)).ToArray();
        uint whole = Crc32C.Compute(data);
        for (int split = 0; split <= data.Length; split += 13)
            Crc32C.Extend(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split)).Should().Be(whole);
        // Unaligned starts exercise the 8-byte fast path with different remainders.
        for (int start = 1; start < 9; start++)
            Crc32C.Compute(data.AsSpan(start)).Should().Be(Bitwise(data.AsSpan(start)));
    }

    [Fact]
    public void Masking_is_LevelDBs_rotate_and_add_and_is_reversible()
    {
        uint crc = Crc32C.Compute("foo"u8);
        Crc32C.Mask(crc).Should().Be(((crc >> 15) | (crc << 17)) + 0xa282ead8u);
        Crc32C.Mask(crc).Should().NotBe(crc);
        Crc32C.Mask(Crc32C.Mask(crc)).Should().NotBe(crc);
        Crc32C.Unmask(Crc32C.Mask(crc)).Should().Be(crc);
        Crc32C.Unmask(Crc32C.Unmask(Crc32C.Mask(Crc32C.Mask(crc)))).Should().Be(crc);
        Crc32C.Mask(0).Should().Be(0xa282ead8u, "what TensorFlow stores for an empty tensor");
    }

    private static uint Bitwise(ReadOnlySpan<byte> data)
    {
        uint crc = 0xffffffff;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ ((crc & 1) != 0 ? 0x82F63B78u : 0);
        }
        return ~crc;
    }
}
