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
    private static readonly Option<string> Input = new("--input") { Description = "JSON: {\"input_ids\": [[...]], \"token_type_ids\": [[...]], \"attention_mask\": [[...]]}; at most 64 MiB, run 16 rows at a time.", Required = true };
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
            if (bad > 0)
                throw new CliException($"{bad} of {reader.Tensors.Count} tensors in {reader.IndexPath} have a bad CRC32C (listed above): the checkpoint is corrupt.");
        }
        else if (checkpoint.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) && File.Exists(checkpoint))
        {
            var entries = SafeTensors.ReadHeader(checkpoint); // the header says it all; no tensor is read
            foreach (var entry in entries.OrderBy(e => e.Name, StringComparer.Ordinal))
                Console.WriteLine($"{entry.Name}\t{entry.DType}\t[{string.Join(", ", entry.Shape)}]");
            Console.WriteLine($"{entries.Count} tensors in {checkpoint}");
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
            var config = BertConfig.FromJsonFile(configPath);
            var options = new CheckpointLoadOptions { Strict = false };
            BertCheckpointLoader.CheckShapes(config, checkpoint, options); // before building: a mismatch costs no allocation
            using var model = new BertModel(config);
            var report = BertCheckpointLoader.Load(model, checkpoint, options);
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
        string outputPath = args.GetValue(Output)!;
        bool allLayers = args.GetValue(AllLayers);
        var builder = args.GetValue(Config) is { } config ? BertModelBuilder.FromConfigFile(config) : BertModelBuilder.FromPretrained(checkpoint);
        builder.WithCheckpoint(checkpoint);

        // The input is checked against the config before the model is built (ids past the tables would fail deep
        // in libtorch), then run in batches whose outputs are written as they come: memory is one batch, whatever
        // the number of rows.
        using var document = ReadInput(inputPath);
        var input = ExtractInput.Parse(document.RootElement, inputPath, builder.Config);
        using var model = builder.Build();
        ExtractInput.Run(model, input, outputPath, allLayers);
        Console.WriteLine($"Wrote {input.Rows} x {input.Columns} outputs to {outputPath}");
        return 0;
    }

    /// <summary>The input JSON, refused when larger than <see cref="ExtractInput.MaxInputBytes"/> or not a regular file.</summary>
    private static JsonDocument ReadInput(string path)
    {
        if (!File.Exists(path))
            throw new CliException($"The input {path} does not exist.");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        for (int n; (n = stream.Read(chunk)) > 0;)
        {
            if (buffer.Length + n > ExtractInput.MaxInputBytes)
                throw new CliException($"{path} holds more than {ExtractInput.MaxInputBytes} bytes, the limit for an extract input; split it into several files.");
            buffer.Write(chunk, 0, n);
        }
        try
        {
            return JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
        }
        catch (JsonException ex)
        {
            throw new CliException($"{path} is not valid JSON: {ex.Message}");
        }
    }

    private static bool IsTensorFlow(string path) =>
        File.Exists(path + ".index") || path.EndsWith(".index", StringComparison.Ordinal)
        || (Directory.Exists(path) && File.Exists(Path.Combine(path, "checkpoint")));
}
