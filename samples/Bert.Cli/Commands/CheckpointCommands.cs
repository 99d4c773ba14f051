using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bert.Core;
using Bert.Core.Checkpoints;
using Bert.Core.Modeling;
using TorchSharp;
using static TorchSharp.torch;
using Bert.Core.IO;

namespace Bert.Cli.Commands;

/// <summary><c>bert inspect</c> and <c>bert extract</c>: look into a checkpoint and run it on given ids.</summary>
internal static class CheckpointCommands
{
    private static readonly Option<string> Checkpoint = new("--checkpoint") { Description = "A TensorFlow prefix (model.ckpt-1400000), a .safetensors / .bin file or a Hugging Face folder.", Required = true };
    private static readonly Option<string?> Config = new("--config") { Description = "bert_config.json; with inspect, also prints the load report against it." };
    private static readonly Option<string> Input = new("--input") { Description = "JSON: {\"input_ids\": [[...]], \"token_type_ids\": [[...]], \"attention_mask\": [[...]]}.", Required = true };
    private static readonly Option<string> Output = new("--output") { Description = "JSON written: {\"sequence_output\": [[[...]]], \"pooled_output\": [[...]]}.", Required = true };
    private static readonly Option<bool> AllLayers = new("--all-layers") { Description = "Also write every layer's hidden states (\"hidden_states\")." };

    public static Command CreateInspect()
    {
        var command = new Command("inspect", """
            One line per tensor of a checkpoint (name, dtype, shape, CRC ok) and, with --config, the load report.
            Examples:
              bert inspect --checkpoint model.ckpt-1400000
              bert inspect --checkpoint model.ckpt-1400000 --config bert_config.json
            """)
        { Checkpoint, Config };
        command.SetAction(result => Cli.Run(() => Inspect(result.GetValue(Checkpoint)!, result.GetValue(Config))));
        return command;
    }

    public static Command CreateExtract()
    {
        var command = new Command("extract", """
            Run a checkpoint on given token ids and write the sequence and pooled outputs as JSON.
            Example:
              bert extract --config bert_config.json --checkpoint bert_model.ckpt --input in.json --output out.json
            """)
        { Config, Checkpoint, Input, Output, AllLayers };
        command.SetAction(result => Cli.Run(() => Extract(result)));
        return command;
    }

    private static int Inspect(string checkpoint, string? configPath)
    {
        TorchRuntime.EnsureAvailable();
        if (IsTensorFlow(checkpoint))
        {
            using var reader = TensorFlowCheckpointReader.Open(checkpoint);
            int bad = 0;
            foreach (var t in reader.Tensors)
            {
                string crc;
                try
                {
                    reader.ReadBytes(t.Name);
                    crc = "CRC ok";
                }
                catch (InvalidDataException ex)
                {
                    crc = "CRC BAD: " + ex.Message;
                    bad++;
                }
                Console.WriteLine($"{t.Name}\t{t.DType}\t[{string.Join(", ", t.Shape)}]\t{crc}");
            }
            Console.WriteLine($"{reader.Tensors.Count} tensors in {reader.IndexPath}" + (bad > 0 ? $", {bad} with a bad CRC" : ", every CRC ok"));
            if (bad > 0) return 1;
        }
        else
        {
            var state = BertCheckpointLoader.ReadStateDict(checkpoint);
            foreach (var (name, tensor) in state.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                Console.WriteLine($"{name}\t{tensor.dtype}\t[{string.Join(", ", tensor.shape)}]");
                tensor.Dispose();
            }
            Console.WriteLine($"{state.Count} tensors in {checkpoint}");
        }
        if (configPath is not null)
        {
            using var model = new BertModel(BertConfig.FromJsonFile(configPath));
            var report = BertCheckpointLoader.Load(model, checkpoint, new CheckpointLoadOptions { Strict = false });
            Console.WriteLine();
            Console.WriteLine(report.ToString());
            if (report.Missing.Count > 0) return 1;
        }
        return 0;
    }

    private static int Extract(ParseResult args)
    {
        string checkpoint = args.GetValue(Checkpoint)!;
        string inputPath = args.GetValue(Input)!;
        var builder = args.GetValue(Config) is { } config ? BertModelBuilder.FromConfigFile(config) : BertModelBuilder.FromPretrained(checkpoint);
        using var model = builder.WithCheckpoint(checkpoint).Build();
        model.eval();

        JsonObject input;
        try
        {
            input = JsonNode.Parse(File.ReadAllText(inputPath))?.AsObject() ?? throw new CliException($"{inputPath} is empty.");
        }
        catch (JsonException ex)
        {
            throw new CliException($"{inputPath} is not valid JSON: {ex.Message}");
        }
        long[,] ids = Matrix(input, "input_ids", inputPath, null);
        int rows = ids.GetLength(0), cols = ids.GetLength(1);
        long[,] types = input.ContainsKey("token_type_ids") ? Matrix(input, "token_type_ids", inputPath, (rows, cols)) : new long[rows, cols];
        long[,] mask = input.ContainsKey("attention_mask") ? Matrix(input, "attention_mask", inputPath, (rows, cols)) : Ones(rows, cols);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var output = model.forward(tensor(ids), tensor(types), tensor(mask), args.GetValue(AllLayers));
        var result = new JsonObject
        {
            ["sequence_output"] = ToJson(output.SequenceOutput),
            ["pooled_output"] = ToJson(output.PooledOutput),
        };
        if (output.HiddenStates is { } states && args.GetValue(AllLayers))
            result["hidden_states"] = new JsonArray(states.Select(s => (JsonNode?)ToJson(s)).ToArray());
        AtomicFile.WriteAllText(args.GetValue(Output)!, result.ToJsonString());
        Console.WriteLine($"Wrote {rows} x {cols} outputs to {args.GetValue(Output)}");
        return 0;
    }

    private static bool IsTensorFlow(string path) =>
        File.Exists(path + ".index") || path.EndsWith(".index", StringComparison.Ordinal)
        || (Directory.Exists(path) && File.Exists(Path.Combine(path, "checkpoint")));

    private static long[,] Matrix(JsonObject input, string key, string path, (int Rows, int Cols)? shape)
    {
        if (input[key] is not JsonArray outer || outer.Count == 0)
            throw new CliException($"{path}: '{key}' must be a non-empty array of arrays of integers.");
        int cols = (outer[0] as JsonArray)?.Count ?? 0;
        var m = new long[outer.Count, cols];
        for (int r = 0; r < outer.Count; r++)
        {
            if (outer[r] is not JsonArray row || row.Count != cols)
                throw new CliException($"{path}: '{key}' row {r} must be an array of {cols} integers (all rows the same length).");
            for (int c = 0; c < cols; c++)
            {
                if (row[c] is not JsonValue v || !v.TryGetValue(out long x))
                    throw new CliException($"{path}: '{key}'[{r}][{c}] is not an integer.");
                m[r, c] = x;
            }
        }
        if (shape is { } s && (s.Rows != outer.Count || s.Cols != cols))
            throw new CliException($"{path}: '{key}' is {outer.Count} x {cols}; input_ids is {s.Rows} x {s.Cols}.");
        return m;
    }

    private static long[,] Ones(int rows, int cols)
    {
        var m = new long[rows, cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) m[r, c] = 1;
        return m;
    }

    private static JsonArray ToJson(Tensor t)
    {
        var data = t.to(ScalarType.Float32).contiguous().data<float>().ToArray();
        var shape = t.shape;
        JsonArray Build(int dim, long offset)
        {
            var array = new JsonArray();
            long stride = shape.Skip(dim + 1).Aggregate(1L, (a, b) => a * b);
            for (long i = 0; i < shape[dim]; i++)
                array.Add(dim == shape.Length - 1 ? JsonValue.Create(data[offset + i]) : Build(dim + 1, offset + i * stride));
            return array;
        }
        return Build(0, 0);
    }
}
