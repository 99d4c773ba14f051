using System.CommandLine;
using System.Globalization;
using Bert.Classification;
using Bert.Serving;

namespace Bert.Cli.Commands;

/// <summary><c>bert predict</c>: labels and probabilities from a saved classifier.</summary>
internal static class PredictCommand
{
    private static readonly Option<string> Device = DeviceOption.Create();
    private static readonly Option<string?> Model = new("--model") { Description = "Folder of a saved classifier (runs on TorchSharp)." };
    private static readonly Option<string?> Onnx = new("--onnx") { Description = "Folder written by 'bert export-onnx' (runs on ONNX Runtime through Bert.Serving, no libtorch)." };
    private static readonly Argument<string[]> Texts = new("text") { Description = "Texts to classify; none reads one per line from standard input. A tab separates the two texts of a pair.", Arity = ArgumentArity.ZeroOrMore };

    public static Command Create()
    {
        var command = new Command("predict", """
            Classify texts with a saved classifier (--model) or its ONNX export (--onnx), the same lines either way: the
            label and its probability (multi-label: the labels joined by '|'; regression: the value), then every label's
            probability, then the text. "first<TAB>second" is a pair.
            Examples:
              bert predict --model out/knbc/model "京都の紅葉を見に行きました"
              bert predict --model out/knbc/model < sentences.txt
              bert predict --onnx out/knbc/onnx "京都の紅葉を見に行きました"
            """)
        { Model, Onnx, Texts, Device };
        command.SetAction((result, token) => Task.FromResult(Cli.Run(() => Run(result, token))));
        return command;
    }

    private static int Run(ParseResult args, CancellationToken token)
    {
        var texts = args.GetValue(Texts) ?? Array.Empty<string>();
        if (texts.Length == 0)
        {
            texts = InputLines.StandardInput().Where(line => line.Length > 0).ToArray();
        }
        if (texts.Length == 0) throw new CliException("No text given: pass texts as arguments or one per line on standard input.");
        string? model = args.GetValue(Model), onnx = args.GetValue(Onnx);
        if ((model is null) == (onnx is null)) throw new CliException("Give either --model (a saved classifier) or --onnx (an exported folder).");
        if (onnx is not null && args.GetValue(Device) is { } device && device != "cpu")
            throw new CliException($"--device {device} applies to --model; an --onnx folder runs on ONNX Runtime's CPU provider.");
        var split = texts.Select(t => t.Split('\t')).ToArray();
        if (split.FirstOrDefault(s => s.Length > 2) is { } tooMany)
            throw new CliException($"An input has {tooMany.Length - 1} tabs; a line is one text or one pair (text<TAB>text): '{string.Join("\\t", tooMany)}'.");
        bool pairs = split.Any(s => s.Length == 2);
        if (pairs && split.Any(s => s.Length == 1))
            throw new CliException("Some inputs are pairs (text<TAB>text) and some are not; give all pairs or all single texts.");
        var firsts = split.Select(s => s[0]).ToArray();
        var seconds = pairs ? split.Select(s => s[1]).ToArray() : null;
        if (onnx is not null) return RunOnnx(onnx, texts, firsts, seconds, token);
        using var classifier = TextClassifier.Load(model!, DeviceOption.Parse(args.GetValue(Device)!));
        var predictions = classifier.PredictBatch(firsts, seconds, cancellationToken: token);
        for (int i = 0; i < texts.Length; i++)
        {
            var p = predictions[i];
            Write(p.ToString(), p.Probability, p.Probabilities, texts[i]);
        }
        TruncationNote.Report(classifier.Indexer, classifier.MaxSequenceLength, firsts, seconds);
        return 0;
    }

    /// <summary>One output line: the prediction, its probability (empty for several labels or a value), every label's, the text.</summary>
    private static void Write(string prediction, float? probability, IEnumerable<KeyValuePair<string, float>> probabilities, string text)
    {
        var all = string.Join(" ", probabilities.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value:F3}")));
        string score = probability is { } value && !float.IsNaN(value) ? value.ToString("F3", CultureInfo.InvariantCulture) : "";
        Console.WriteLine($"{prediction}\t{score}\t{all}\t{text}");
    }

    private static int RunOnnx(string folder, string[] texts, string[] firsts, string[]? seconds, CancellationToken token)
    {
        using var classifier = OnnxTextClassifier.Load(folder);
        var predictions = classifier.PredictBatch(firsts, seconds, cancellationToken: token);
        for (int i = 0; i < texts.Length; i++)
        {
            var p = predictions[i];
            Write(p.ToString(), p.Label is null ? null : p.Probability, p.Probabilities, texts[i]);   // the same text as TextClassifier's
        }
        TruncationNote.Report(classifier.Indexer, classifier.MaxSequenceLength, firsts, seconds);
        return 0;
    }
}
