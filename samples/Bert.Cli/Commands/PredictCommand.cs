using System.CommandLine;
using System.Globalization;
using Bert.Classification;
using Bert.Serving;

namespace Bert.Cli.Commands;

/// <summary><c>bert predict</c>: labels and probabilities from a saved classifier.</summary>
internal static class PredictCommand
{
    private static readonly Option<string?> Model = new("--model") { Description = "Folder of a saved classifier (runs on TorchSharp)." };
    private static readonly Option<string?> Onnx = new("--onnx") { Description = "Folder written by 'bert export-onnx' (runs on ONNX Runtime through Bert.Serving, no libtorch)." };
    private static readonly Argument<string[]> Texts = new("text") { Description = "Texts to classify; none reads one per line from standard input.", Arity = ArgumentArity.ZeroOrMore };

    public static Command Create()
    {
        var command = new Command("predict", """
            Classify texts with a saved classifier (--model) or its ONNX export (--onnx): label, its probability, then
            every label's probability (the same lines either way).
            Examples:
              bert predict --model out/knbc/model "京都の紅葉を見に行きました"
              bert predict --model out/knbc/model < sentences.txt
              bert predict --onnx out/knbc/onnx "京都の紅葉を見に行きました"
            """)
        { Model, Onnx, Texts };
        command.SetAction((result, token) => Task.FromResult(Cli.Run(() => Run(result, token))));
        return command;
    }

    private static int Run(ParseResult args, CancellationToken token)
    {
        var texts = args.GetValue(Texts) ?? Array.Empty<string>();
        if (texts.Length == 0)
        {
            var lines = new List<string>();
            for (string? line; (line = Console.In.ReadLine()) is not null;)
                if (line.Length > 0) lines.Add(line);
            texts = lines.ToArray();
        }
        if (texts.Length == 0) throw new CliException("No text given: pass texts as arguments or one per line on standard input.");
        string? model = args.GetValue(Model), onnx = args.GetValue(Onnx);
        if ((model is null) == (onnx is null)) throw new CliException("Give either --model (a saved classifier) or --onnx (an exported folder).");
        if (onnx is not null) return RunOnnx(onnx, texts, token);
        using var classifier = TextClassifier.Load(model!);
        var predictions = classifier.PredictBatch(texts, cancellationToken: token);
        for (int i = 0; i < texts.Length; i++)
        {
            var p = predictions[i];
            var all = string.Join(" ", p.Probabilities.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value:F3}")));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p.Label}\t{p.Probability:F3}\t{all}\t{texts[i]}"));
        }
        return 0;
    }

    private static int RunOnnx(string folder, string[] texts, CancellationToken token)
    {
        using var classifier = OnnxTextClassifier.Load(folder);
        var predictions = classifier.PredictBatch(texts, cancellationToken: token);
        for (int i = 0; i < texts.Length; i++)
        {
            var p = predictions[i];
            if (p.Value is { } value)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{classifier.Labels[0]}\t{value:F3}\t\t{texts[i]}"));
                continue;
            }
            var all = string.Join(" ", p.Probabilities.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value:F3}")));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p.Label}\t{p.Probability:F3}\t{all}\t{texts[i]}"));
        }
        return 0;
    }
}
