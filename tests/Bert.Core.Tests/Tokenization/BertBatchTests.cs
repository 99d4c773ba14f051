using Bert.Tests;
using Bert.Core.Modeling;
using Bert.Tokenization;
using TorchSharp;

namespace Bert.Core.Tests.Tokenization;

public class BertBatchTests
{
    private static EncodedInput Input(int[] ids, int[] types) =>
        new(ids, types, ids.Select(_ => 1).ToArray(), ids.Length);

    [Fact]
    public void Collate_pads_to_the_longest_with_pad_id_segment_0_mask_0()
    {
        var inputs = new[] { Input([4, 10, 11, 5], [0, 0, 0, 0]), Input([4, 12, 5, 13, 5], [0, 0, 0, 1, 1]), Input([4, 5], [0, 0]) };
        using var batch = BertBatch.Collate(inputs, padId: 3);
        batch.InputIds.shape.Should().Equal(3, 5);
        batch.InputIds.dtype.Should().Be(torch.ScalarType.Int64);
        batch.TokenTypeIds.dtype.Should().Be(torch.ScalarType.Int64);
        batch.AttentionMask.dtype.Should().Be(torch.ScalarType.Int64);
        batch.InputIds.data<long>().ToArray().Should().Equal(4, 10, 11, 5, 3, /**/ 4, 12, 5, 13, 5, /**/ 4, 5, 3, 3, 3);
        batch.TokenTypeIds.data<long>().ToArray().Should().Equal(0, 0, 0, 0, 0, /**/ 0, 0, 0, 1, 1, /**/ 0, 0, 0, 0, 0);
        batch.AttentionMask.data<long>().ToArray().Should().Equal(1, 1, 1, 1, 0, /**/ 1, 1, 1, 1, 1, /**/ 1, 1, 0, 0, 0);
        batch.Lengths.Should().Equal(4, 5, 2);
        (batch.BatchSize, batch.SequenceLength).Should().Be((3, 5));
    }

    [Fact]
    public void Collate_pads_to_a_fixed_length_and_repads_padded_inputs()
    {
        // An input already padded (with another id) keeps only its Length real tokens.
        var padded = new EncodedInput([4, 9, 5, 0, 0], [0, 0, 0, 0, 0], [1, 1, 1, 0, 0], 3);
        using var batch = BertBatch.Collate([padded], padId: 3, padToLength: 6);
        batch.InputIds.data<long>().ToArray().Should().Equal(4, 9, 5, 3, 3, 3);
        batch.AttentionMask.data<long>().ToArray().Should().Equal(1, 1, 1, 0, 0, 0);
    }

    [Fact]
    public void Collate_rejects_empty_lists_and_inputs_longer_than_the_length()
    {
        var empty = () => BertBatch.Collate([], 0);
        empty.Should().Throw<ArgumentException>().WithMessage("*empty*");
        var tooLong = () => BertBatch.Collate([Input([4, 7, 8, 5], [0, 0, 0, 0])], 0, padToLength: 3);
        tooLong.Should().Throw<ArgumentException>().WithMessage("*padToLength 3*longest input (4*");
    }

    [Fact]
    public void Encoded_input_rejects_arrays_of_different_lengths()
    {
        var act = () => new EncodedInput([1, 2], [0], [1, 1], 2);
        act.Should().Throw<ArgumentException>().WithMessage("*same length*");
        var length = () => new EncodedInput([1, 2], [0, 0], [1, 1], 3);
        length.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData(1, 8, 512, 8)]
    [InlineData(8, 8, 512, 8)]
    [InlineData(9, 8, 512, 16)]
    [InlineData(101, 8, 103, 103)]  // rounding would pass the model's 103 positions: capped
    [InlineData(103, 8, 103, 103)]
    [InlineData(37, 1, 103, 37)]
    public void PaddedLength_rounds_up_to_the_multiple_within_the_positions(int longest, int multiple, int max, int expected) =>
        BertBatch.PaddedLength(longest, multiple, max).Should().Be(expected);

    [Fact]
    public void PaddedLength_rejects_a_longest_above_the_positions_and_non_positive_arguments()
    {
        ((Action)(() => BertBatch.PaddedLength(104, 8, 103))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*longest*");
        ((Action)(() => BertBatch.PaddedLength(10, 0, 103))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*multipleOf*");
        ((Action)(() => BertBatch.PaddedLength(0, 8, 103))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*longest*");
    }

    [SharedFact("models/wiki-ja/wiki-ja.model", "models/wiki-ja/knbc-spm_encode-ids.tsv")]
    public void Encode_batch_pads_knbc_with_pad_id_3()
    {
        var indexer = SentencePieceIndexer.Load(SharedData.PathOf("models/wiki-ja/wiki-ja.model"));
        var texts = File.ReadLines(SharedData.PathOf("models/wiki-ja/knbc-spm_encode-ids.tsv")).Take(16).Select(l => l.Split('\t')[0]).ToArray();
        using var batch = indexer.EncodeBatch(texts);
        var longest = texts.Max(t => indexer.TokenizeToIds(t).Count) + 2;
        batch.InputIds.shape.Should().Equal(16, longest);
        batch.InputIds.dtype.Should().Be(TorchSharp.torch.ScalarType.Int64);
        var ids = batch.InputIds.data<long>().ToArray();
        var mask = batch.AttentionMask.data<long>().ToArray();
        for (var r = 0; r < 16; r++)
        {
            for (var t = 0; t < longest; t++)
            {
                var real = t < batch.Lengths[r];
                mask[(r * longest) + t].Should().Be(real ? 1 : 0);
                if (!real)
                    ids[(r * longest) + t].Should().Be(3);
            }
        }
    }
}
