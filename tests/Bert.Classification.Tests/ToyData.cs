using Bert.Classification.Data;
using Bert.Core;
using Bert.Core.Modeling;
using Bert.Tokenization;
using TorchSharp;

namespace Bert.Classification.Tests;

/// <summary>
/// A small, learnable topic task in Japanese: each text mixes words of its topic with neutral words, so a tiny
/// BERT must attend to the right pieces. Texts are tokenized with the committed BPE SentencePiece model
/// (tests/Bert.Tokenization.Tests/TestData/spm/bpe-ja.model, 800 pieces with byte fallback), so these tests need no
/// ../shared data. Multi-label, regression and pair variants derive their targets from the same topic words.
/// </summary>
internal static class ToyData
{
    public static string SpmModel { get; } = Path.Combine(AppContext.BaseDirectory, "TestData", "spm", "bpe-ja.model");

    public static readonly string[] Labels = { "グルメ", "スポーツ" };

    private static readonly string[][] TopicWords =
    {
        new[] { "ラーメン", "寿司", "美味しい", "レストラン", "料理", "ケーキ", "カレー", "味噌汁" },
        new[] { "野球", "サッカー", "試合", "選手", "優勝", "ゴール", "マラソン", "テニス" },
    };

    private static readonly string[] Neutral = { "今日は", "友達と", "昨日", "とても", "また", "週末に", "みんなで", "少し" };

    public static List<TextExample> Make(int count, int seed) => Make(count, seed, mixTopics: false);

    private static List<TextExample> Make(int count, int seed, bool mixTopics)
    {
        var random = new Random(seed);
        var examples = new List<TextExample>();
        for (int i = 0; i < count; i++)
        {
            int label = i % 2;
            var words = new List<string>();
            int n = 2 + random.Next(4);
            for (int w = 0; w < n; w++)
                words.Add(random.Next(3) == 0 ? TopicWords[mixTopics && random.Next(3) == 0 ? 1 - label : label][random.Next(8)] : Neutral[random.Next(8)]);
            words.Insert(random.Next(words.Count + 1), TopicWords[label][random.Next(8)]);
            examples.Add(new TextExample(string.Concat(words) + "。", Labels[label]) { Id = $"toy-{i}" });
        }
        return examples;
    }

    /// <summary>
    /// Multi-label: the text's topic, plus 週末 when it says 週末に and 友達 when it says 友達と, so label sets have one
    /// to three members.
    /// </summary>
    public static readonly string[] MultiLabels = { "グルメ", "スポーツ", "週末", "友達" };

    public static List<TextExample> MakeMultiLabel(int count, int seed) => Make(count, seed).Select(e =>
    {
        var labels = new List<string> { e.Label! };
        if (e.Text.Contains("週末に", StringComparison.Ordinal)) labels.Add("週末");
        if (e.Text.Contains("友達と", StringComparison.Ordinal)) labels.Add("友達");
        return new TextExample(e.Text, labels) { Id = e.Id };
    }).ToList();

    /// <summary>Regression: the number of sports words minus the number of food words.</summary>
    public static List<TextExample> MakeRegression(int count, int seed) => Make(count, seed, mixTopics: true).Select(e =>
        new TextExample(e.Text, TopicWords[1].Sum(w => Count(e.Text, w)) - TopicWords[0].Sum(w => Count(e.Text, w))) { Id = e.Id }).ToList();

    /// <summary>Pairs: "same" when both texts are of one topic, "different" otherwise.</summary>
    public static readonly string[] PairLabels = { "same", "different" };

    public static List<TextExample> MakePairs(int count, int seed)
    {
        var a = Make(count, seed);
        var b = Make(count, seed + 1000);
        var random = new Random(seed);
        return a.Select((e, i) =>
        {
            var other = b[random.Next(b.Count)];
            return new TextExample(e.Text, e.Label == other.Label ? "same" : "different") { Text2 = other.Text, Id = e.Id };
        }).ToList();
    }

    private static int Count(string text, string word)
    {
        int n = 0;
        for (int i = text.IndexOf(word, StringComparison.Ordinal); i >= 0; i = text.IndexOf(word, i + word.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    public static SentencePieceIndexer Indexer() =>
        SentencePieceIndexer.Load(SpmModel, new SentencePieceIndexerOptions { MaxSequenceLength = 64 });

    public static BertConfig TinyConfig(int vocabSize) => new()
    {
        VocabSize = vocabSize,
        HiddenSize = 32,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        IntermediateSize = 64,
        HiddenAct = "gelu",
        HiddenDropoutProb = 0.1,
        AttentionProbsDropoutProb = 0.1,
        MaxPositionEmbeddings = 64,
        TypeVocabSize = 2,
        InitializerRange = 0.02,
        LayerNormEps = 1e-12,
    };

    public static BertForSequenceClassification Model(int vocabSize, int seed, ClassificationHeadOptions? head = null, int? numLabels = null)
    {
        TorchRuntime.EnsureAvailable();
        torch.manual_seed(seed);
        var bert = new BertModelBuilder(TinyConfig(vocabSize)).WithSeed(seed).Build();
        return new BertForSequenceClassification(bert, numLabels ?? Labels.Length, head);
    }
}
