using Bert.Tokenization;
using Bert.Core.IO;
using Bert.Core.Modeling;
using static TorchSharp.torch;

namespace Bert.Core.Onnx;

/// <summary>
/// Writes BERT models as ONNX files for ONNX Runtime (or any ONNX engine): a bare <see cref="BertModel"/>
/// (<c>last_hidden_state</c>, <c>pooler_output</c>) or an embedder (<c>sentence_embedding</c>). Inputs are
/// <c>input_ids</c>, <c>attention_mask</c> and <c>token_type_ids</c>, int64 of shape (<c>batch</c>, <c>sequence</c>),
/// both axes dynamic. Classifiers are exported by <c>Bert.Classification.Onnx.ClassifierOnnxExport</c>.
/// </summary>
/// <remarks>
/// The graph is written by this library from the module tree, weights from the modules' parameters (converted to
/// float32), with a minimal protobuf writer of its own (<c>ModelProto</c>, <c>GraphProto</c>, <c>NodeProto</c>,
/// <c>TensorProto</c>, <c>ValueInfoProto</c>): no Python, no <c>torch.onnx</c>, no generated protobuf code. The file is a
/// single protobuf message, so the weights must stay under 2 GB (BERT-large is 1.3 GB).
/// </remarks>
public static class OnnxExport
{
    /// <summary>Name of the token-id input.</summary>
    public const string InputIds = "input_ids";

    /// <summary>Name of the attention-mask input (1 = real token, 0 = padding).</summary>
    public const string AttentionMask = "attention_mask";

    /// <summary>Name of the segment-id input.</summary>
    public const string TokenTypeIds = "token_type_ids";

    /// <summary>Name of the sequence output, (batch, sequence, hidden).</summary>
    public const string LastHiddenState = "last_hidden_state";

    /// <summary>Name of the pooler output, (batch, hidden).</summary>
    public const string PoolerOutput = "pooler_output";

    /// <summary>Name of an embedder's output, (batch, hidden).</summary>
    public const string SentenceEmbedding = "sentence_embedding";

    /// <summary>
    /// The key of the model's metadata (<c>metadata_props</c>) that holds <c>max_position_embeddings</c>, the longest
    /// input the graph accepts; Bert.Serving checks <c>serving.json</c>'s <c>max_seq_len</c> against it.
    /// </summary>
    public const string MaxPositionsMetadataKey = "max_position_embeddings";

    /// <summary>Writes <paramref name="model"/> with the outputs <c>last_hidden_state</c> and <c>pooler_output</c>.</summary>
    /// <param name="model">The model (any device or dtype; weights are written as float32).</param>
    /// <param name="path">The .onnx file to write (replaced atomically).</param>
    /// <param name="options">Opset; null for the defaults.</param>
    public static void ExportModel(BertModel model, string path, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.Write(path, stream => ExportModel(model, stream, options));
    }

    /// <summary>Writes <paramref name="model"/> to a stream (see <see cref="ExportModel(BertModel, string, OnnxExportOptions?)"/>).</summary>
    public static void ExportModel(BertModel model, Stream output, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(output);
        Write(model, "", model.Config, output, options, "bert", (g, bert) =>
        {
            int hidden = model.Config.HiddenSize;
            g.Node("Identity", [bert.SequenceOutput], output: LastHiddenState);
            bert.Pooler(PoolerOutput);
            g.Output(LastHiddenState, OnnxGraphBuilder.Float, "batch", "sequence", hidden);
            g.Output(PoolerOutput, OnnxGraphBuilder.Float, "batch", hidden);
        });
    }

    /// <summary>Writes <paramref name="model"/> as a sentence embedder with the single output <c>sentence_embedding</c>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The .onnx file to write (replaced atomically).</param>
    /// <param name="pooling">How token vectors become one vector.</param>
    /// <param name="normalize">Divide each vector by its L2 norm (for cosine similarity by dot product).</param>
    /// <param name="options">Opset; null for the defaults.</param>
    public static void ExportEmbedder(BertModel model, string path, EmbeddingPooling pooling, bool normalize, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.Write(path, stream => ExportEmbedder(model, stream, pooling, normalize, options));
    }

    /// <summary>Writes an embedder to a stream (see <see cref="ExportEmbedder(BertModel, string, EmbeddingPooling, bool, OnnxExportOptions?)"/>).</summary>
    public static void ExportEmbedder(BertModel model, Stream output, EmbeddingPooling pooling, bool normalize, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(output);
        if (!Enum.IsDefined(pooling))
            throw new ArgumentException($"Unknown pooling {(int)pooling}.", nameof(pooling));
        Write(model, "", model.Config, output, options, "bert_embedder", (g, bert) =>
        {
            string? name = normalize ? null : SentenceEmbedding;
            var pooled = pooling switch
            {
                EmbeddingPooling.Mean => bert.MaskedMean(bert.SequenceOutput, name),
                EmbeddingPooling.Cls => g.Node("Identity", [bert.Cls(bert.SequenceOutput)], output: name),
                _ => bert.Pooler(name),
            };
            if (normalize) bert.L2Normalize(pooled, SentenceEmbedding);
            g.Output(SentenceEmbedding, OnnxGraphBuilder.Float, "batch", model.Config.HiddenSize);
        }, ignoreUnused: pooling != EmbeddingPooling.Pooler ? "pooler." : null);
    }

    /// <summary>
    /// Writes an embedder with its tokenizer as a folder that <c>Bert.Serving.OnnxTextEmbedder.Load</c> reads: the model
    /// (output <c>sentence_embedding</c>), the tokenizer file and <c>serving.json</c> (pooling, normalisation, maximum length,
    /// tokenizer settings).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="indexer">Its tokenizer (written as Hugging Face tokenizer files beside the model, every option kept).</param>
    /// <param name="output">A folder (model.onnx inside) or a path ending in .onnx (the other files beside it).</param>
    /// <param name="options">
    /// Pooling, normalisation, length; null for the defaults (mean, normalised, and the indexer's
    /// <see cref="IBertIndexer.MaxSequenceLength"/> bounded by the model's positions, so the served vectors equal
    /// <see cref="Bert.Core.Embeddings.TextEmbedder"/>'s with the same indexer).
    /// </param>
    /// <returns>The path of the written .onnx file.</returns>
    public static string ExportEmbedderFolder(BertModel model, IBertIndexer indexer, string output, OnnxEmbedderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(indexer);
        options ??= new OnnxEmbedderOptions();
        options.Validate(model.Config.MaxPositionEmbeddings);
        var manifest = new System.Text.Json.Nodes.JsonObject
        {
            ["format"] = "bert-net-onnx-embedder",
            ["pooling"] = options.Pooling.ToString(),
            ["normalized"] = options.Normalize,
            ["dimensions"] = model.Config.HiddenSize,
        };
        // Unset, texts are cut where the indexer cuts them (as TextEmbedder does), never beyond the model's positions.
        int maxLength = options.MaxSequenceLength ?? Math.Min(indexer.MaxSequenceLength, model.Config.MaxPositionEmbeddings);
        return ServingFolder.Write(output, stream => ExportEmbedder(model, stream, options.Pooling, options.Normalize, options.Export),
            indexer, maxLength, manifest);
    }

    /// <summary>
    /// Emits the encoder of <paramref name="module"/> (parameters under <paramref name="prefix"/>), lets
    /// <paramref name="head"/> add the outputs, checks that every parameter was exported (except those under
    /// <paramref name="ignoreUnused"/>, e.g. an unused pooler) and writes the model.
    /// </summary>
    internal static void Write(nn.Module module, string prefix, BertConfig config, Stream output, OnnxExportOptions? options,
        string graphName, Action<OnnxGraphBuilder, BertOnnxGraph> head, string? ignoreUnused = null)
    {
        options ??= new OnnxExportOptions();
        options.Validate();
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);
        var g = new OnnxGraphBuilder(options.Opset);
        var bert = BertOnnxGraph.Emit(g, config, parameters, prefix);
        head(g, bert);
        bert.CheckAllUsed(ignoreUnused is null ? null : prefix + ignoreUnused);
        // The position count travels with the graph (ModelProto.metadata_props, ONNX Runtime's CustomMetadataMap), so a
        // server can refuse a serving.json whose max_seq_len exceeds it at load instead of failing inside a Gather.
        g.Save(output, graphName, typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "0",
            new Dictionary<string, string> { [MaxPositionsMetadataKey] = config.MaxPositionEmbeddings.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }
}
