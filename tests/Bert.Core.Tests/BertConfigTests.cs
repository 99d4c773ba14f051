using System.Text.Json.Nodes;
using Bert.Core.Modeling;
using Bert.Tests;
using Bert.Tokenization;

namespace Bert.Core.Tests;

public class BertConfigTests
{
    private const string HuggingFaceConfig = """
        {
          "architectures": ["BertForMaskedLM"],
          "attention_probs_dropout_prob": 0.1,
          "hidden_act": "gelu_new",
          "hidden_dropout_prob": 0.2,
          "hidden_size": 384,
          "id2label": {"0": "Gourmet", "1": "Keitai"},
          "initializer_range": 0.02,
          "intermediate_size": 1536,
          "layer_norm_eps": 1e-05,
          "max_position_embeddings": 512,
          "model_type": "bert",
          "num_attention_heads": 12,
          "num_hidden_layers": 6,
          "pad_token_id": 0,
          "position_embedding_type": "absolute",
          "type_vocab_size": 2,
          "vocab_size": 30522
        }
        """;

    [SharedFact("fixtures/keras-bert-tiny/bert_config.json")]
    public void Reads_Google_bert_config_json_with_default_eps_and_keeps_unknown_keys()
    {
        var config = BertConfig.FromJsonFile(SharedData.PathOf("fixtures/keras-bert-tiny/bert_config.json"));
        config.VocabSize.Should().Be(15);
        config.HiddenSize.Should().Be(4);
        config.NumHiddenLayers.Should().Be(2);
        config.NumAttentionHeads.Should().Be(4);
        config.IntermediateSize.Should().Be(16);
        config.MaxPositionEmbeddings.Should().Be(16);
        config.TypeVocabSize.Should().Be(2);
        config.HiddenAct.Should().Be("gelu");
        config.LayerNormEps.Should().Be(1e-12, "Google's config has no layer_norm_eps");
        config.ExtraFields["pooler_type"]!.GetValue<string>().Should().Be("first_token_transform");
        config.ExtraFields.Should().ContainKey("directionality");
    }

    [SharedFact("models/wiki-ja/bert_config.json")]
    public void Reads_the_Japanese_Wikipedia_BERT_base_config()
    {
        var config = BertConfig.FromJsonFile(SharedData.PathOf("models/wiki-ja/bert_config.json"));
        (config.NumHiddenLayers, config.HiddenSize, config.NumAttentionHeads, config.IntermediateSize).Should().Be((12, 768, 12, 3072));
        (config.VocabSize, config.MaxPositionEmbeddings).Should().Be((32000, 512));
    }

    [Fact]
    public void Reads_a_Hugging_Face_config_and_round_trips_every_key()
    {
        var config = BertConfig.FromJson(HuggingFaceConfig);
        config.HiddenAct.Should().Be("gelu_new");
        config.LayerNormEps.Should().Be(1e-5);
        config.HiddenDropoutProb.Should().Be(0.2);
        config.ExtraFields["model_type"]!.GetValue<string>().Should().Be("bert");

        var again = BertConfig.FromJson(config.ToJson());
        var original = JsonNode.Parse(HuggingFaceConfig)!.AsObject();
        var written = JsonNode.Parse(config.ToJson())!.AsObject();
        written.Select(kv => kv.Key).Should().BeEquivalentTo(original.Select(kv => kv.Key));
        foreach (var (key, value) in original)
            JsonNode.DeepEquals(written[key], value).Should().BeTrue(key);
        again.ToJson().Should().Be(config.ToJson());
        written["id2label"]!["1"]!.GetValue<string>().Should().Be("Keitai");
    }

    [Fact]
    public void Clone_is_deep()
    {
        var config = BertConfig.FromJson(HuggingFaceConfig);
        var copy = config.Clone();
        copy.HiddenSize = 768;
        copy.ExtraFields["id2label"]!["0"] = "changed";
        config.HiddenSize.Should().Be(384);
        config.ExtraFields["id2label"]!["0"]!.GetValue<string>().Should().Be("Gourmet");
    }

    [Theory]
    [InlineData("\"hidden_size\": 10, \"num_attention_heads\": 3", "*hidden_size (10)*divisible by num_attention_heads (3)*")]
    [InlineData("\"hidden_act\": \"swish\"", "*hidden_act 'swish'*gelu, gelu_new, gelu_pytorch_tanh, relu*")]
    [InlineData("\"hidden_dropout_prob\": 1.0", "*hidden_dropout_prob (1)*[0, 1)*")]
    [InlineData("\"attention_probs_dropout_prob\": -0.1", "*attention_probs_dropout_prob*")]
    [InlineData("\"vocab_size\": 0", "*vocab_size (0) must be in [1, 10000000]*")]
    [InlineData("\"num_hidden_layers\": 100000", "*num_hidden_layers (100000) must be in [1, 1000]")]
    [InlineData("\"hidden_size\": 100000, \"num_attention_heads\": 1", "*hidden_size (100000) must be in [1, 65536]")]
    [InlineData("\"hidden_size\": 8192, \"num_attention_heads\": 8, \"num_hidden_layers\": 100", "*make 32.2 billion parameters, more than the 4 billion allowed")]
    [InlineData("\"type_vocab_size\": 2000000", "*type_vocab_size (2000000) must be in [1, 1024]")]
    [InlineData("\"initializer_range\": 2", "*initializer_range (2) must be in [0, 1]")]
    [InlineData("\"hidden_act\": \"GELU\"", "*hidden_act 'GELU' is not supported*")]
    [InlineData("\"position_embedding_type\": 1", "*position_embedding_type 1 is not supported*")]
    [InlineData("\"num_hidden_layers\": -1", "*num_hidden_layers*")]
    [InlineData("\"layer_norm_eps\": 0", "*layer_norm_eps*")]
    [InlineData("\"hidden_size\": \"768\"", "*'hidden_size' must be an integer*\"768\"*")]
    [InlineData("\"hidden_size\": 7.5", "*'hidden_size' must be an integer*")]
    [InlineData("\"position_embedding_type\": \"relative_key\"", "*position_embedding_type \"relative_key\"*absolute*")]
    public void Invalid_values_are_rejected_with_the_JSON_field_named(string fields, string message)
    {
        var act = () => BertConfig.FromJson("{" + fields + "}");
        act.Should().Throw<InvalidDataException>().WithMessage(message);
    }

    [Fact]
    public void Validate_throws_ArgumentException_naming_field_and_property()
    {
        var config = new BertConfig { NumAttentionHeads = 5 };
        var act = () => config.Validate();
        act.Should().Throw<ArgumentException>().WithMessage("hidden_size (768) must be divisible by num_attention_heads (5)*")
            .Which.ParamName.Should().Be(nameof(BertConfig.HiddenSize));
        new BertConfig().Validate(); // BERT-base defaults are valid
    }

    [Fact]
    public void CountParameters_is_what_the_built_model_has()
    {
        TorchRuntime.EnsureAvailable();
        var config = new BertConfig { VocabSize = 37, HiddenSize = 12, NumHiddenLayers = 3, NumAttentionHeads = 3, IntermediateSize = 20, MaxPositionEmbeddings = 9, TypeVocabSize = 3 };
        using var model = new BertModel(config);
        config.CountParameters().Should().Be(model.parameters().Sum(p => p.numel()));
        new BertConfig().CountParameters().Should().Be(109_482_240, "BERT-base uncased (Hugging Face BertModel: 109,482,240 parameters)");
    }

    [Fact]
    public void Training_counts_gradients_and_both_Adam_moments_so_a_config_whose_weights_fit_can_still_be_refused()
    {
        // BERT-base on batches of 32 x 128: 438 MB of weights; with gradients and AdamWarmup's m and v four times that.
        var config = new BertConfig();
        var (weights, state, activations) = config.EstimateTrainingBytes(32, 128);
        weights.Should().Be(109_482_240.0 * 4);
        state.Should().Be(3 * weights, "a gradient and two moments per weight");
        activations.Should().BeGreaterThan(weights, "a batch of 4096 tokens through 12 layers keeps more than the weights for backward");
        config.EstimateTrainingBytes(32, 256).Activations.Should().BeGreaterThan(2 * activations, "attention grows with the square of the length");

        // A process that may use 1 GiB: the weights alone fit (the model may be built for inference), training does not.
        long available = 1L << 30;
        weights.Should().BeLessThan(available);
        FluentActions.Invoking(() => config.EnsureTrainingFitsInMemory(32, 128, available)).Should().Throw<InsufficientMemoryException>()
            .WithMessage("Training a BERT with BertConfig(layers 12, hidden 768*batches of 32 x 128 tokens needs about *GiB (weights 0.4, gradients and AdamWarmup's two moments 1.2, activations *this process may use 1.0 GiB*");
        config.EnsureTrainingFitsInMemory(32, 128, (long)(weights + state + activations) + 1); // fits: no exception
        config.EnsureTrainingFitsInMemory(32, 128, 0); // unknown: not checked
        FluentActions.Invoking(() => config.EstimateTrainingBytes(0, 128)).Should().Throw<ArgumentOutOfRangeException>();
    }

    private sealed class FakeIndexer(int vocabSize, int specialId = 0) : IBertIndexer
    {
        public int PadId => specialId;
        public int ClsId => 1;
        public int SepId => 2;
        public int MaskId => 3;
        public int UnkId => 4;
        public int VocabSize => vocabSize;
        public int MaxSequenceLength => 16;
        public EncodedInput Encode(string text, string? pair = null) => throw new NotSupportedException();
        public IReadOnlyList<EncodedInput> EncodeMany(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null) => throw new NotSupportedException();
        public IReadOnlyList<string> TokenizeToPieces(string text) => throw new NotSupportedException();
        public IReadOnlyList<int> TokenizeToIds(string text) => throw new NotSupportedException();
        public string IdToPiece(int id) => throw new NotSupportedException();
        public int PieceToId(string piece) => -1;
    }

    [Theory]
    [InlineData(32000, 32000, null)]
    [InlineData(32000, 32001, "*has 32001 ids but the model's vocab_size is 32000*")]
    [InlineData(32000, 31950, null)] // padded table: 31950 rounds up to 32000 (a multiple of 128 covers it)
    [InlineData(32000, 1000, "*has 1000 ids but the model's vocab_size is 32000*do not belong together*")]
    [InlineData(30522, 15, "*has 15 ids*")]
    public void ValidateIndexer_allows_a_padded_table_but_not_ids_past_it_or_a_foreign_tokenizer(int vocabSize, int tokenizerSize, string? message)
    {
        var config = new BertConfig { VocabSize = vocabSize };
        var act = () => config.ValidateIndexer(new FakeIndexer(tokenizerSize), "x.model");
        if (message is null) act.Should().NotThrow();
        else act.Should().Throw<InvalidDataException>().WithMessage(message).WithMessage("*'x.model'*");
    }

    [Fact]
    public void ValidateIndexer_refuses_special_token_ids_outside_the_tokenizer()
    {
        var act = () => new BertConfig { VocabSize = 100 }.ValidateIndexer(new FakeIndexer(100, specialId: 100));
        act.Should().Throw<InvalidDataException>().WithMessage("*[PAD] id 100 is outside its 100 ids*");
    }

    [Fact]
    public void Malformed_or_missing_files_get_clear_exceptions()
    {
        var bad = () => BertConfig.FromJson("{\"hidden_size\": ");
        bad.Should().Throw<InvalidDataException>().WithMessage("*not valid JSON*");
        var array = () => BertConfig.FromJson("[1, 2]");
        array.Should().Throw<InvalidDataException>().WithMessage("*JSON object*");
        string path = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "bert_config.json");
        var missing = () => BertConfig.FromJsonFile(path);
        missing.Should().Throw<FileNotFoundException>().WithMessage($"*{path}*");
    }

    [Fact]
    public void File_errors_name_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), "bad-config-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, "{\"num_attention_heads\": 7}");
        try
        {
            var act = () => BertConfig.FromJsonFile(path);
            act.Should().Throw<InvalidDataException>().WithMessage($"*{path}*num_attention_heads (7)*");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
