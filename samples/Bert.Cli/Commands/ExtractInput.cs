using System.Text.Json;
using Bert.Core;
using Bert.Core.IO;
using Bert.Core.Modeling;
using static TorchSharp.torch;

namespace Bert.Cli.Commands;

/// <summary>
/// The input of <c>bert extract</c> (<c>input_ids</c>, optional <c>token_type_ids</c> and <c>attention_mask</c>: equal
/// (B, T) arrays of integers), checked in full against the config before the model is built, and the batched run
/// that streams the outputs to the JSON file.
/// </summary>
internal sealed class ExtractInput
{
    /// <summary>The largest input file accepted (64 MiB, about 10 million ids); larger inputs are refused, not read.</summary>
    public const long MaxInputBytes = 64L << 20;

    /// <summary>Rows per forward pass.</summary>
    private const int BatchRows = 16;

    private readonly JsonElement ids;
    private readonly JsonElement? types;
    private readonly JsonElement? mask;

    private ExtractInput(JsonElement ids, JsonElement? types, JsonElement? mask, int rows, int columns)
    {
        this.ids = ids;
        this.types = types;
        this.mask = mask;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>B, the number of rows.</summary>
    public int Rows { get; }

    /// <summary>T, the length of every row.</summary>
    public int Columns { get; }

    /// <summary>
    /// Checks the input: an object with <c>input_ids</c> a non-empty (B, T) array of integers in [0, vocab_size), T at
    /// most max_position_embeddings, <c>token_type_ids</c> (if given) of the same shape in [0, type_vocab_size),
    /// <c>attention_mask</c> (if given) of the same shape with 0/1 values.
    /// </summary>
    /// <exception cref="CliException">Anything else; the message names the file, the key and the position.</exception>
    public static ExtractInput Parse(JsonElement root, string path, BertConfig config)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new CliException($"{path}: expected a JSON object with 'input_ids', not {root.ValueKind}.");
        if (!root.TryGetProperty("input_ids", out var ids))
            throw new CliException($"{path}: 'input_ids' is missing.");
        var (rows, columns) = Check(ids, "input_ids", path, null, 0, config.VocabSize - 1, "vocab_size " + config.VocabSize);
        if (columns > config.MaxPositionEmbeddings)
            throw new CliException($"{path}: rows of {columns} ids are longer than the model's {config.MaxPositionEmbeddings} positions.");
        JsonElement? types = null, mask = null;
        if (root.TryGetProperty("token_type_ids", out var t))
        {
            Check(t, "token_type_ids", path, (rows, columns), 0, config.TypeVocabSize - 1, "type_vocab_size " + config.TypeVocabSize);
            types = t;
        }
        if (root.TryGetProperty("attention_mask", out var m))
        {
            Check(m, "attention_mask", path, (rows, columns), 0, 1, "a mask");
            mask = m;
        }
        return new ExtractInput(ids, types, mask, rows, columns);
    }

    /// <summary>
    /// Runs <paramref name="model"/> on the rows, <see cref="BatchRows"/> at a time, writing
    /// <c>{"sequence_output": (B, T, H), "pooled_output": (B, H)[, "hidden_states": (L+1, B, T, H)]}</c> to
    /// <paramref name="outputPath"/> (atomically). Each section is streamed to a temporary file as the batches come
    /// and the sections are then joined, so memory stays at one batch.
    /// </summary>
    public static void Run(BertModel model, ExtractInput input, string outputPath, bool allLayers)
    {
        int sections = 2 + (allLayers ? model.Config.NumHiddenLayers + 1 : 0);
        var folder = Directory.CreateTempSubdirectory("bert-extract-");
        try
        {
            var files = Enumerable.Range(0, sections).Select(i => Path.Combine(folder.FullName, $"{i}.json")).ToArray();
            var streams = files.Select(f => new FileStream(f, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16)).ToArray();
            var writers = streams.Select(s => new Utf8JsonWriter(s)).ToArray();
            try
            {
                foreach (var w in writers) w.WriteStartArray();
                // One enumerator per matrix across all batches: indexing an array of arrays would rescan it each time.
                // (Boxed once, so the position carries over from batch to batch.)
                using IEnumerator<JsonElement> idRows = input.ids.EnumerateArray();
                using IEnumerator<JsonElement>? typeRows = input.types?.EnumerateArray();
                using IEnumerator<JsonElement>? maskRows = input.mask?.EnumerateArray();
                using var noGrad = no_grad();
                for (int start = 0; start < input.Rows; start += BatchRows)
                {
                    int count = Math.Min(BatchRows, input.Rows - start);
                    using var scope = NewDisposeScope();
                    var output = model.forward(
                        input.Batch(idRows, count, 0), input.Batch(typeRows, count, 0), input.Batch(maskRows, count, 1), allLayers);
                    WriteRows(writers[0], output.SequenceOutput);
                    WriteRows(writers[1], output.PooledOutput);
                    if (allLayers && output.HiddenStates is { } states)
                        for (int l = 0; l < states.Count; l++) WriteRows(writers[2 + l], states[l]);
                    foreach (var w in writers) w.Flush();
                }
                foreach (var w in writers) w.WriteEndArray();
            }
            finally
            {
                foreach (var w in writers) w.Dispose();
                foreach (var s in streams) s.Dispose();
            }
            AtomicFile.Write(outputPath, output =>
            {
                void Raw(string text) => output.Write(System.Text.Encoding.UTF8.GetBytes(text));
                void Copy(string file) { using var f = File.OpenRead(file); f.CopyTo(output); }
                Raw("{\"sequence_output\":");
                Copy(files[0]);
                Raw(",\"pooled_output\":");
                Copy(files[1]);
                if (allLayers)
                {
                    Raw(",\"hidden_states\":[");
                    for (int i = 2; i < sections; i++)
                    {
                        if (i > 2) Raw(",");
                        Copy(files[i]);
                    }
                    Raw("]");
                }
                Raw("}");
            });
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static (int Rows, int Columns) Check(JsonElement matrix, string key, string path, (int Rows, int Columns)? shape, long min, long max, string range)
    {
        if (matrix.ValueKind != JsonValueKind.Array || matrix.GetArrayLength() == 0)
            throw new CliException($"{path}: '{key}' must be a non-empty array of arrays of integers.");
        int rows = matrix.GetArrayLength();
        int columns = -1, r = 0;
        foreach (var row in matrix.EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Array)
                throw new CliException($"{path}: '{key}' row {r} is not an array.");
            columns = columns < 0 ? row.GetArrayLength() : columns;
            if (row.GetArrayLength() != columns || columns == 0)
                throw new CliException($"{path}: '{key}' row {r} must be an array of {Math.Max(columns, 1)} integers (all rows the same, non-zero length).");
            int c = 0;
            foreach (var value in row.EnumerateArray())
            {
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long x))
                    throw new CliException($"{path}: '{key}'[{r}][{c}] is not an integer.");
                if (x < min || x > max)
                    throw new CliException($"{path}: '{key}'[{r}][{c}] is {x}, outside [{min}, {max}] ({range}).");
                c++;
            }
            r++;
        }
        if (shape is { } s && (s.Rows != rows || s.Columns != columns))
            throw new CliException($"{path}: '{key}' is {rows} x {columns}; input_ids is {s.Rows} x {s.Columns}.");
        return (rows, columns);
    }

    /// <summary>The next <paramref name="count"/> rows of a checked matrix as a (count, T) int64 tensor; a missing matrix is all <paramref name="fill"/>.</summary>
    private Tensor Batch(IEnumerator<JsonElement>? rows, int count, long fill)
    {
        var values = new long[count * Columns];
        if (rows is null)
        {
            Array.Fill(values, fill);
        }
        else
        {
            int i = 0;
            for (int r = 0; r < count && rows.MoveNext(); r++)
                foreach (var value in rows.Current.EnumerateArray())
                    values[i++] = value.GetInt64();
        }
        return tensor(values, [count, Columns]);
    }

    /// <summary>Writes the first dimension of <paramref name="t"/> as JSON rows (nested arrays of float32).</summary>
    private static void WriteRows(Utf8JsonWriter writer, Tensor t)
    {
        using var cpu = t.detach().to(ScalarType.Float32).cpu().contiguous();
        var data = cpu.data<float>().ToArray();
        var shape = cpu.shape;
        void Write(int dim, long offset)
        {
            if (dim == shape.Length)
            {
                writer.WriteNumberValue(data[offset]);
                return;
            }
            long stride = shape.Skip(dim + 1).Aggregate(1L, (a, b) => a * b);
            writer.WriteStartArray();
            for (long i = 0; i < shape[dim]; i++) Write(dim + 1, offset + i * stride);
            writer.WriteEndArray();
        }
        for (long i = 0; i < shape[0]; i++)
        {
            long stride = data.Length / Math.Max(1, shape[0]);
            Write(1, i * stride);
        }
    }
}
