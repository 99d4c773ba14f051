using Bert.Classification.Data;
using Bert.Core;
using Bert.Core.Modeling;
using Bert.Tokenization;
using Bert.Tests;
using TorchSharp;

namespace Bert.Classification.Tests;

/// <summary>
/// A small, learnable topic task in Japanese: each text mixes words of its topic with neutral words, so a tiny
/// BERT must attend to the right pieces. Texts are tokenized with the real wiki-ja SentencePiece model.
/// </summary>
internal static class ToyData
{
    public const string SpmModel = "models/wiki-ja/wiki-ja.model";

    public static readonly string[] Labels = { "グルメ", "スポーツ" };

    private static readonly string[][] TopicWords =
    {
        new[] { "ラーメン", "寿司", "美味しい", "レストラン", "料理", "ケーキ", "カレー", "味噌汁" },
        new[] { "野球", "サッカー", "試合", "選手", "優勝", "ゴール", "マラソン", "テニス" },
    };

    private static readonly string[] Neutral = { "今日は", "友達と", "昨日", "とても", "また", "週末に", "みんなで", "少し" };

    public static List<TextExample> Make(int count, int seed)
    {
        var random = new Random(seed);
        var examples = new List<TextExample>();
        for (int i = 0; i < count; i++)
        {
            int label = i % 2;
            var words = new List<string>();
            int n = 2 + random.Next(4);
            for (int w = 0; w < n; w++)
                words.Add(random.Next(3) == 0 ? TopicWords[label][random.Next(8)] : Neutral[random.Next(8)]);
            words.Insert(random.Next(words.Count + 1), TopicWords[label][random.Next(8)]);
            examples.Add(new TextExample(string.Concat(words) + "。", Labels[label]) { Id = $"toy-{i}" });
        }
        return examples;
    }

    public static SentencePieceIndexer Indexer() =>
        SentencePieceIndexer.Load(SharedData.PathOf(SpmModel), new SentencePieceIndexerOptions { MaxSequenceLength = 64 });

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

    public static BertForSequenceClassification Model(int vocabSize, int seed, ClassificationHeadOptions? head = null)
    {
        TorchRuntime.EnsureAvailable();
        torch.manual_seed(seed);
        var bert = new BertModelBuilder(TinyConfig(vocabSize)).WithSeed(seed).Build();
        return new BertForSequenceClassification(bert, Labels.Length, head);
    }
}
