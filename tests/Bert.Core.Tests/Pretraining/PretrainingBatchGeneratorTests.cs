using Bert.Core.Pretraining;

namespace Bert.Core.Tests.Pretraining;

public class PretrainingBatchGeneratorTests
{
    // Ids: [PAD]=0, <unk>=1, [CLS]=2, [SEP]=3, [MASK]=4; normal pieces from 5.
    private const int Pad = 0, Unk = 1, Cls = 2, Sep = 3, Mask = 4, FirstNormal = 5;
    private const int SentencesPerDocument = 20;

    // Document d, sentence s is a run of the piece 5 + d * 20 + s, so every piece tells where it comes from.
    private static (IReadOnlyList<IReadOnlyList<int[]>> Documents, PretrainingVocabulary Vocabulary) TracedCorpus(int documents = 30, int seed = 1)
    {
        var random = new Random(seed);
        var docs = new List<IReadOnlyList<int[]>>();
        for (var d = 0; d < documents; d++)
        {
            var count = random.Next(2, SentencesPerDocument + 1);
            docs.Add(Enumerable.Range(0, count).Select(s => Enumerable.Repeat(FirstNormal + d * SentencesPerDocument + s, random.Next(1, 25)).ToArray()).ToList());
        }
        var vocabulary = new PretrainingVocabulary(FirstNormal + documents * SentencesPerDocument, Pad, Cls, Sep, Mask, [Unk]);
        return (docs, vocabulary);
    }

    private static int DocumentOf(int id) => (id - FirstNormal) / SentencesPerDocument;

    private static int[] Restored(PretrainingExample e)
    {
        var ids = (int[])e.InputIds.Clone();
        for (var k = 0; k < e.MaskedPositions.Length; k++) ids[e.MaskedPositions[k]] = e.MaskedLabels[k];
        return ids;
    }

    [Fact]
    public void Masking_proportions_follow_bert_15_percent_and_80_10_10()
    {
        var (docs, vocabulary) = TracedCorpus();
        var generator = new PretrainingBatchGenerator(docs, vocabulary,
            new PretrainingBatchGeneratorOptions { MaxSequenceLength = 64, MaxPredictionsPerSequence = 64, Seed = 7 });
        long tokens = 0, predicted = 0, masked = 0, random = 0, kept = 0, randomNext = 0;
        const int n = 5000;
        foreach (var e in generator.NextExamples(n))
        {
            tokens += e.Length; // Google's num_to_predict counts [CLS] and both [SEP]s
            predicted += e.MaskedPositions.Length;
            for (var k = 0; k < e.MaskedPositions.Length; k++)
            {
                var now = e.InputIds[e.MaskedPositions[k]];
                if (now == Mask) masked++;
                else if (now == e.MaskedLabels[k]) kept++;
                else random++;
            }
            if (e.IsRandomNext) randomNext++;
        }
        ((double)predicted / tokens).Should().BeApproximately(0.15, 0.005);
        ((double)masked / predicted).Should().BeApproximately(0.80, 0.015);
        ((double)random / predicted).Should().BeApproximately(0.10, 0.01);
        ((double)kept / predicted).Should().BeApproximately(0.10, 0.01);
        ((double)randomNext / n).Should().BeApproximately(0.50, 0.025);
    }

    [Fact]
    public void Examples_keep_the_bert_layout_and_never_mask_special_tokens()
    {
        var (docs, vocabulary) = TracedCorpus();
        var generator = new PretrainingBatchGenerator(docs, vocabulary, new PretrainingBatchGeneratorOptions { MaxSequenceLength = 40, Seed = 3 });
        foreach (var e in generator.NextExamples(2000))
        {
            e.Length.Should().BeLessThanOrEqualTo(40);
            e.InputIds[0].Should().Be(Cls);
            e.InputIds[^1].Should().Be(Sep);
            var seps = Enumerable.Range(0, e.Length).Where(i => e.InputIds[i] == Sep).ToArray();
            seps.Should().HaveCount(2);
            var firstSep = seps[0];
            firstSep.Should().BeGreaterThan(1, "segment A is never empty");
            firstSep.Should().BeLessThan(e.Length - 2, "segment B is never empty");
            e.TokenTypeIds.Take(firstSep + 1).Should().OnlyContain(t => t == 0);
            e.TokenTypeIds.Skip(firstSep + 1).Should().OnlyContain(t => t == 1);

            e.MaskedPositions.Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
            e.MaskedPositions.Length.Should().BeInRange(1, 20);
            e.MaskedPositions.Should().NotContain([0, firstSep, e.Length - 1]);
            e.MaskedLabels.Should().OnlyContain(id => !vocabulary.IsSpecial(id));
            var maskedSet = e.MaskedPositions.ToHashSet();
            for (var i = 0; i < e.Length; i++)
            {
                if (!maskedSet.Contains(i))
                    e.InputIds[i].Should().NotBe(Mask, "only chosen positions are masked");
                else if (e.InputIds[i] != Mask)
                    vocabulary.IsSpecial(e.InputIds[i]).Should().BeFalse("random replacements are normal pieces, never <unk> or control symbols");
            }
        }
    }

    [Fact]
    public void Next_sentences_follow_in_the_same_document_and_random_ones_come_from_another()
    {
        var (docs, vocabulary) = TracedCorpus();
        var generator = new PretrainingBatchGenerator(docs, vocabulary, new PretrainingBatchGeneratorOptions { MaxSequenceLength = 48, Seed = 11 });
        int next = 0, random = 0;
        foreach (var e in generator.NextExamples(1000))
        {
            var ids = Restored(e);
            var firstSep = Array.IndexOf(ids, Sep, 1);
            var a = ids[1..firstSep];
            var b = ids[(firstSep + 1)..^1];
            a.Select(DocumentOf).Distinct().Should().HaveCount(1, "segment A is consecutive sentences of one document");
            b.Select(DocumentOf).Distinct().Should().HaveCount(1, "segment B is consecutive sentences of one document");
            a.Should().BeInAscendingOrder();
            b.Should().BeInAscendingOrder();
            if (e.IsRandomNext)
            {
                random++;
                DocumentOf(b[0]).Should().NotBe(DocumentOf(a[0]));
            }
            else
            {
                next++;
                DocumentOf(b[0]).Should().Be(DocumentOf(a[0]));
                b[0].Should().BeGreaterThan(a[^1], "B starts with the sentence after A's last one");
            }
        }
        next.Should().BeGreaterThan(400);
        random.Should().BeGreaterThan(400);
    }

    [Fact]
    public void Long_pairs_are_truncated_longest_first_to_the_maximum_length()
    {
        // Every sentence has 100 pieces: any pair overflows 32 - 3 = 29 pieces and truncation leaves 15 + 14.
        var docs = Enumerable.Range(0, 4).Select(d => (IReadOnlyList<int[]>)Enumerable.Range(0, 3)
            .Select(s => Enumerable.Range(0, 100).Select(i => FirstNormal + (d * 300 + s * 100 + i) % 50).ToArray()).ToList()).ToList();
        var vocabulary = new PretrainingVocabulary(FirstNormal + 50, Pad, Cls, Sep, Mask);
        var generator = new PretrainingBatchGenerator(docs, vocabulary,
            new PretrainingBatchGeneratorOptions { MaxSequenceLength = 32, ShortSequenceProbability = 0, Seed = 5 });
        foreach (var e in generator.NextExamples(200))
        {
            e.Length.Should().Be(32);
            var firstSep = Array.IndexOf(e.InputIds, Sep, 1);
            var lengthA = firstSep - 1;
            var lengthB = e.Length - firstSep - 2;
            new[] { lengthA, lengthB }.Should().BeEquivalentTo([14, 15]);
            lengthA.Should().Be(15, "ties remove from B first, as Google's truncate_seq_pair");
        }
    }

    [Fact]
    public void Truncation_removes_from_the_front_or_the_back_at_random_as_googles_truncate_seq_pair()
    {
        // Every sentence is 100 pieces counting up (mod 50) from FirstNormal: a segment that lost pieces from its front
        // starts elsewhere; either way what is left is a contiguous run of the sentence.
        var docs = Enumerable.Range(0, 4).Select(d => (IReadOnlyList<int[]>)Enumerable.Range(0, 3)
            .Select(s => Enumerable.Range(0, 100).Select(i => FirstNormal + i % 50).ToArray()).ToList()).ToList();
        var vocabulary = new PretrainingVocabulary(FirstNormal + 50, Pad, Cls, Sep, Mask);
        var generator = new PretrainingBatchGenerator(docs, vocabulary, new PretrainingBatchGeneratorOptions
        {
            MaxSequenceLength = 32, ShortSequenceProbability = 0, Seed = 5, MaskedLmProbability = 0.01, MaxPredictionsPerSequence = 1,
        });
        int startsAtFirstPiece = 0;
        const int n = 400;
        foreach (var e in generator.NextExamples(n))
        {
            var ids = (int[])e.InputIds.Clone();
            for (var k = 0; k < e.MaskedPositions.Length; k++) ids[e.MaskedPositions[k]] = e.MaskedLabels[k];
            var a = ids[1..Array.IndexOf(ids, Sep, 1)];
            for (var i = 1; i < a.Length; i++)
                (a[i] - FirstNormal).Should().Be((a[i - 1] - FirstNormal + 1) % 50, "a truncated segment is contiguous");
            if (a[0] == FirstNormal) startsAtFirstPiece++;
        }
        ((double)startsAtFirstPiece / n).Should().BeLessThan(0.2, "about half the removals are from the front");
    }

    [Fact]
    public void The_number_of_masked_pieces_is_googles_num_to_predict_over_all_tokens_rounded_half_to_even()
    {
        // num_to_predict = min(max_predictions_per_seq, max(1, int(round(len(tokens) * masked_lm_prob)))), tokens with
        // [CLS] and both [SEP]s. Sequences of 32 tokens: round(32 * 0.15) = 5 (not round(29 * 0.15) = 4 over the pieces).
        var docs = Enumerable.Range(0, 4).Select(d => (IReadOnlyList<int[]>)Enumerable.Range(0, 3)
            .Select(s => Enumerable.Range(0, 100).Select(i => FirstNormal + i % 50).ToArray()).ToList()).ToList();
        var vocabulary = new PretrainingVocabulary(FirstNormal + 50, Pad, Cls, Sep, Mask);
        var generator = new PretrainingBatchGenerator(docs, vocabulary,
            new PretrainingBatchGeneratorOptions { MaxSequenceLength = 32, ShortSequenceProbability = 0, Seed = 3 });
        generator.NextExamples(50).Should().OnlyContain(e => e.Length == 32 && e.MaskedPositions.Length == 5);

        // 18 tokens * 0.25 = 4.5: Python's round() gives 4 (half to even), not 5.
        var half = new PretrainingBatchGenerator(docs, vocabulary, new PretrainingBatchGeneratorOptions
        {
            MaxSequenceLength = 18, ShortSequenceProbability = 0, MaskedLmProbability = 0.25, Seed = 3,
        });
        half.NextExamples(50).Should().OnlyContain(e => e.Length == 18 && e.MaskedPositions.Length == 4);

        // Short sequences: the same formula at every length, never more than MaxPredictionsPerSequence.
        var varied = new PretrainingBatchGenerator(docs, vocabulary, new PretrainingBatchGeneratorOptions
        {
            MaxSequenceLength = 64, ShortSequenceProbability = 1, MaxPredictionsPerSequence = 6, Seed = 4,
        });
        foreach (var e in varied.NextExamples(300))
            e.MaskedPositions.Length.Should().Be(Math.Min(6, Math.Max(1, (int)Math.Round(e.Length * 0.15, MidpointRounding.ToEven))), $"length {e.Length}");
    }

    [Fact]
    public void The_same_seed_gives_the_same_examples_and_another_seed_others()
    {
        var (docs, vocabulary) = TracedCorpus();
        static string Dump(IEnumerable<PretrainingExample> examples) =>
            string.Join("|", examples.Select(e => string.Join(",", e.InputIds) + ";" + string.Join(",", e.MaskedPositions) + ";" + e.IsRandomNext));
        var first = Dump(new PretrainingBatchGenerator(docs, vocabulary, new() { Seed = 42 }).NextExamples(50));
        var second = Dump(new PretrainingBatchGenerator(docs, vocabulary, new() { Seed = 42 }).NextExamples(50));
        var other = Dump(new PretrainingBatchGenerator(docs, vocabulary, new() { Seed = 43 }).NextExamples(50));
        second.Should().Be(first);
        other.Should().NotBe(first);
    }

    [Fact]
    public void A_restored_state_continues_the_same_stream()
    {
        var (docs, vocabulary) = TracedCorpus();
        var original = new PretrainingBatchGenerator(docs, vocabulary, new() { Seed = 9 });
        original.NextExamples(17);
        var state = original.GetState();
        var expected = original.NextExamples(10);

        var resumed = new PretrainingBatchGenerator(docs, vocabulary, new() { Seed = 9 });
        resumed.RestoreState(state);
        resumed.ExamplesGenerated.Should().Be(17);
        var actual = resumed.NextExamples(10);
        for (var i = 0; i < 10; i++)
        {
            actual[i].InputIds.Should().Equal(expected[i].InputIds);
            actual[i].MaskedLabels.Should().Equal(expected[i].MaskedLabels);
            actual[i].IsRandomNext.Should().Be(expected[i].IsRandomNext);
        }
    }

    [Fact]
    public void Batches_are_padded_to_their_longest_example_rounded_up_to_a_multiple_of_8_with_the_pad_id()
    {
        TorchRuntime.EnsureAvailable();
        var (docs, vocabulary) = TracedCorpus();
        var generator = new PretrainingBatchGenerator(docs, vocabulary, new() { MaxSequenceLength = 64, ShortSequenceProbability = 1, Seed = 2 });
        var paddedBeyondTheLongest = 0;
        for (var n = 0; n < 6; n++)
        {
            using var batch = generator.NextBatch(8);
            var longest = batch.Examples.Max(e => e.Length);
            var t = batch.SequenceLength;
            t.Should().Be(Math.Min((longest + 7) / 8 * 8, 64), "the collation rule of fine-tuning: a multiple of 8, not beyond the maximum length");
            if (t > longest) paddedBeyondTheLongest++;
            batch.InputIds.shape.Should().Equal(8, t);
            var ids = batch.InputIds.data<long>().ToArray();
            var types = batch.TokenTypeIds.data<long>().ToArray();
            var mask = batch.AttentionMask.data<long>().ToArray();
            var positions = batch.MaskedPositions.data<long>().ToArray();
            var labels = batch.MaskedLabels.data<long>().ToArray();
            var next = batch.NextSentenceLabels.data<long>().ToArray();
            var k = 0;
            for (var b = 0; b < 8; b++)
            {
                var e = batch.Examples[b];
                next[b].Should().Be(e.IsRandomNext ? 1 : 0);
                for (var i = 0; i < t; i++)
                {
                    ids[b * t + i].Should().Be(i < e.Length ? e.InputIds[i] : Pad);
                    mask[b * t + i].Should().Be(i < e.Length ? 1 : 0);
                    types[b * t + i].Should().Be(i < e.Length ? e.TokenTypeIds[i] : 0);
                }
                for (var j = 0; j < e.MaskedPositions.Length; j++, k++)
                {
                    positions[k].Should().Be(b * t + e.MaskedPositions[j]);
                    labels[k].Should().Be(e.MaskedLabels[j]);
                }
            }
            k.Should().Be(batch.MaskedCount);
        }
        paddedBeyondTheLongest.Should().BePositive("some batch's longest example is not a multiple of 8, so the test sees padding beyond it");
    }

    [Fact]
    public void A_corpus_that_cannot_make_pairs_is_rejected_with_a_reason()
    {
        var vocabulary = new PretrainingVocabulary(10, Pad, Cls, Sep, Mask);
        IReadOnlyList<IReadOnlyList<int[]>> oneDocument = [[[5, 6], [7, 8]]];
        var act = () => new PretrainingBatchGenerator(oneDocument, vocabulary);
        act.Should().Throw<ArgumentException>().WithMessage("*at least two non-empty documents*");

        IReadOnlyList<IReadOnlyList<int[]>> singleSentences = [[[5, 6]], [[7, 8]]];
        var act2 = () => new PretrainingBatchGenerator(singleSentences, vocabulary);
        act2.Should().Throw<ArgumentException>().WithMessage("*at least two sentences*");

        IReadOnlyList<IReadOnlyList<int[]>> outside = [[[5, 60], [7]], [[8]]];
        var act3 = () => new PretrainingBatchGenerator(outside, vocabulary);
        act3.Should().Throw<ArgumentException>().WithMessage("*document 0*id 60*");
    }

    [Theory]
    [InlineData(nameof(PretrainingBatchGeneratorOptions.MaxSequenceLength))]
    [InlineData(nameof(PretrainingBatchGeneratorOptions.MaskedLmProbability))]
    [InlineData(nameof(PretrainingBatchGeneratorOptions.RandomTokenProbability))]
    [InlineData(nameof(PretrainingBatchGeneratorOptions.RandomNextProbability))]
    public void Invalid_options_name_the_property(string property)
    {
        var options = new PretrainingBatchGeneratorOptions();
        switch (property)
        {
            case nameof(options.MaxSequenceLength): options.MaxSequenceLength = 4; break;
            case nameof(options.MaskedLmProbability): options.MaskedLmProbability = 0; break;
            case nameof(options.RandomTokenProbability): options.RandomTokenProbability = 0.3; break;
            case nameof(options.RandomNextProbability): options.RandomNextProbability = 1.5; break;
        }
        options.Invoking(o => o.Validate()).Should().Throw<ArgumentException>().Which.ParamName.Should().Be(property);
    }
}
