using Bert.Core.Pretraining;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Pretraining;

/// <summary>Tiny configs, corpora and helpers shared by the pretraining tests.</summary>
internal static class PretrainingTestModels
{
    public const int Pad = 0, Unk = 1, Cls = 2, Sep = 3, Mask = 4;

    public static BertConfig TinyConfig(double dropout = 0.1) => new()
    {
        VocabSize = 40,
        HiddenSize = 32,
        NumHiddenLayers = 2,
        NumAttentionHeads = 2,
        IntermediateSize = 64,
        MaxPositionEmbeddings = 32,
        HiddenDropoutProb = dropout,
        AttentionProbsDropoutProb = dropout,
    };

    public static BertForPreTraining NewModel(BertConfig config, long seed)
    {
        manual_seed(seed);
        return new BertForPreTraining(config);
    }

    public static PretrainingVocabulary Vocabulary(int vocabSize = 40) => new(vocabSize, Pad, Cls, Sep, Mask, [Unk]);

    /// <summary>
    /// A repetitive corpus: 8 documents of 6 sentences that alternate between the runs 5..12 and 20..25, so a masked
    /// piece is predictable from its neighbours.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<int[]>> CountingCorpus()
    {
        int[] first = [5, 6, 7, 8, 9, 10, 11, 12];
        int[] second = [20, 21, 22, 23, 24, 25];
        var docs = new List<IReadOnlyList<int[]>>();
        for (var d = 0; d < 8; d++)
            docs.Add(Enumerable.Range(0, 6).Select(s => (s + d) % 2 == 0 ? first : second).ToList());
        return docs;
    }

    public static PretrainingBatchGenerator Generator(long seed = 1, int maxLength = 24) =>
        new(CountingCorpus(), Vocabulary(), new PretrainingBatchGeneratorOptions { MaxSequenceLength = maxLength, Seed = seed });

    public static float[] Values(Tensor t) => t.contiguous().to(ScalarType.Float32).data<float>().ToArray();

    public static string TempDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "bert-pretraining-tests-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
