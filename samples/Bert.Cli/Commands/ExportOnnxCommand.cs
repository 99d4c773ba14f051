using System.CommandLine;
using Bert.Classification;
using Bert.Classification.Onnx;
using Bert.Core.Onnx;

namespace Bert.Cli.Commands;

/// <summary><c>bert export-onnx</c>: a saved classifier as an ONNX model plus the files Bert.Serving needs.</summary>
internal static class ExportOnnxCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "Folder of a saved classifier.", Required = true };
    private static readonly Option<string> Output = new("--output") { Description = "FILE.onnx (serving files are written beside it) or a folder (model.onnx inside).", Required = true };
    private static readonly Option<int> Opset = new("--opset") { Description = $"ONNX opset, {OnnxExportOptions.MinOpset}-{OnnxExportOptions.MaxOpset} (default {OnnxExportOptions.DefaultOpset}: ONNX Runtime fuses attention only there).", DefaultValueFactory = _ => OnnxExportOptions.DefaultOpset };

    public static Command Create()
    {
        var command = new Command("export-onnx", """
            Export a saved classifier for serving without libtorch: the ONNX model (inputs input_ids, attention_mask,
            token_type_ids: int64 [batch, sequence]; output logits: float [batch, labels]) and, in the same folder,
            the tokenizer file and serving.json (labels, problem type, maximum length, tokenizer settings), which
            Bert.Serving's OnnxTextClassifier.Load and 'bert predict --onnx FOLDER' read. One classifier per folder,
            never the model's own folder.
            Examples:
              bert export-onnx --model out/knbc/model --output out/knbc/onnx
              bert export-onnx --model out/knbc/model --output deploy/knbc.onnx
            """)
        { Model, Output, Opset };
        command.SetAction(result => Cli.Run(() =>
        {
            string model = result.GetValue(Model)!, output = result.GetValue(Output)!;
            string outputFolder = output.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? Path.GetDirectoryName(Path.GetFullPath(output))! : Path.GetFullPath(output);
            if (SameFolder(outputFolder, Path.GetFullPath(model)))
                throw new CliException($"--output '{output}' is in the folder of --model '{model}': the export goes into a folder of its own (e.g. --output {Path.Combine(Path.GetDirectoryName(Path.GetFullPath(model).TrimEnd(Path.DirectorySeparatorChar)) ?? ".", "onnx")}).");
            using var classifier = TextClassifier.Load(model);
            string path = ClassifierOnnxExport.Export(classifier, output, new OnnxExportOptions { Opset = result.GetValue(Opset) });
            Console.WriteLine($"wrote {path} ({new FileInfo(path).Length / 1048576.0:F1} MB), {ClassifierOnnxExport.ManifestFileName} and the tokenizer beside it");
            return 0;
        }));
        return command;
    }

    private static bool SameFolder(string a, string b) =>
        string.Equals(a.TrimEnd(Path.DirectorySeparatorChar), b.TrimEnd(Path.DirectorySeparatorChar),
            OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);
}
