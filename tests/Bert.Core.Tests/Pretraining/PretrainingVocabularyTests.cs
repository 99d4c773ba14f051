using Bert.Core.Pretraining;
using Bert.Tokenization;
using Bert.Tests;

namespace Bert.Core.Tests.Pretraining;

public class PretrainingVocabularyTests
{
    [SharedFact("models/wiki-ja/wiki-ja.model")]
    public void Wiki_ja_control_symbols_are_special_and_the_rest_normal()
    {
        var indexer = SentencePieceIndexer.Load(SharedData.PathOf("models/wiki-ja/wiki-ja.model"));
        var vocabulary = PretrainingVocabulary.FromIndexer(indexer);
        (vocabulary.PadId, vocabulary.ClsId, vocabulary.SepId, vocabulary.MaskId).Should().Be((3, 4, 5, 6));
        Enumerable.Range(0, 7).Should().OnlyContain(id => vocabulary.IsSpecial(id), "<unk> <s> </s> [PAD] [CLS] [SEP] [MASK] are ids 0-6");
        var others = Enumerable.Range(7, indexer.VocabSize - 7).Where(vocabulary.IsSpecial).Select(indexer.IdToPiece).ToList();
        others.Where(p => !((p.StartsWith('<') && p.EndsWith('>')) || (p.StartsWith('[') && p.EndsWith(']')))).Should().BeEmpty();
        vocabulary.NormalCount.Should().Be(indexer.VocabSize - 7 - others.Count);
        vocabulary.NormalCount.Should().BeGreaterThan(31900);
    }

    [Fact]
    public void Ids_outside_the_vocabulary_and_shared_ids_are_rejected()
    {
        var outside = () => new PretrainingVocabulary(10, 0, 1, 2, 10);
        outside.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("maskId");
        var shared = () => new PretrainingVocabulary(10, 0, 1, 1, 3);
        shared.Should().Throw<ArgumentException>().WithMessage("*four different ids*");
    }
}
