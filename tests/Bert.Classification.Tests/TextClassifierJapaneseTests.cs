using Bert.Tests;
using Bert.Tokenization;

namespace Bert.Classification.Tests;

/// <summary>A classifier over a MeCab tokenizer (<see cref="BertJapaneseIndexer"/>) saves and loads like any other.</summary>
public class TextClassifierJapaneseTests
{
    [MeCabFact(false, MeCabPaths.Ipadic)]
    public void A_classifier_with_a_mecab_tokenizer_round_trips()
    {
        var vocab = Path.Combine(SharedData.RepoRoot(), "tests/Bert.Tokenization.Tests/TestData/mecab/bert-japanese/vocab.txt");
        var indexer = BertJapaneseIndexer.Create(vocab, Bert.Tokenization.MeCab.MeCabTagger.Load(MeCabPaths.Ipadic),
            new BertJapaneseIndexerOptions { MaxSequenceLength = 64, LowerCase = true });
        var texts = new[] { "吾輩は猫である。", "ＢＥＲＴとカメラ", "京都の紅葉は十一月が見頃です。" };
        using var classifier = new TextClassifier(ToyData.Model(indexer.VocabSize, seed: 5), indexer, ToyData.Labels, vocab, 64, lowerCase: true);
        using var dir = new TempDirectory();
        string folder = Path.Combine(dir.Path, "model");
        classifier.Save(folder);
        File.ReadAllText(Path.Combine(folder, "tokenizer_config.json")).Should().Contain(MeCabPaths.Ipadic).And.Contain("\"do_lower_case\": true");

        using var loaded = TextClassifier.Load(folder);
        var a = classifier.PredictBatch(texts);
        var b = loaded.PredictBatch(texts);
        for (int i = 0; i < texts.Length; i++)
            b[i].Probabilities.Select(p => p.Value).Should().Equal(a[i].Probabilities.Select(p => p.Value));
    }
}
