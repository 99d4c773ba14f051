using System.CommandLine;
using System.Globalization;
using Bert.Classification;

namespace Bert.Cli.Commands;

/// <summary><c>bert predict</c>: labels and probabilities from a saved classifier.</summary>
internal static class PredictCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "Folder of a saved classifier.", Required = true };
    private static readonly Argument<string[]> Texts = new("text") { Description = "Texts to classify; none reads one per line from standard input. A tab separates the two texts of a pair.", Arity = ArgumentArity.ZeroOrMore };

    public static Command Create()
    {
        var command = new Command("predict", """
            Classify texts with a saved classifier: the label and its probability (multi-label: the labels joined by '|';
            regression: the value), then every label's probability, then the text. "first<TAB>second" is a pair.
            Examples:
              bert predict --model out/knbc/model "京都の紅葉を見に行きました"
              bert predict --model out/knbc/model < sentences.txt
            """)
        { Model, Texts };
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
        using var classifier = TextClassifier.Load(args.GetValue(Model)!);
        var split = texts.Select(t => t.Split('\t', 2)).ToArray();
        bool pairs = split.Any(s => s.Length == 2);
        if (pairs && split.Any(s => s.Length == 1))
            throw new CliException("Some inputs are pairs (text<TAB>text) and some are not; give all pairs or all single texts.");
        var predictions = classifier.PredictBatch(split.Select(s => s[0]).ToArray(), pairs ? split.Select(s => s[1]).ToArray() : null, cancellationToken: token);
        for (int i = 0; i < texts.Length; i++)
        {
            var p = predictions[i];
            var all = string.Join(" ", p.Probabilities.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value:F3}")));
            string score = p.Probability is { } probability ? probability.ToString("F3", CultureInfo.InvariantCulture) : "";
            Console.WriteLine($"{p}\t{score}\t{all}\t{texts[i]}");
        }
        return 0;
    }
}
