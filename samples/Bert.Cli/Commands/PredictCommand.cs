using System.CommandLine;
using System.Globalization;
using Bert.Classification;

namespace Bert.Cli.Commands;

/// <summary><c>bert predict</c>: labels and probabilities from a saved classifier.</summary>
internal static class PredictCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "Folder of a saved classifier.", Required = true };
    private static readonly Argument<string[]> Texts = new("text") { Description = "Texts to classify; none reads one per line from standard input.", Arity = ArgumentArity.ZeroOrMore };

    public static Command Create()
    {
        var command = new Command("predict", """
            Classify texts with a saved classifier: label, its probability, then every label's probability.
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
        var predictions = classifier.PredictBatch(texts, cancellationToken: token);
        for (int i = 0; i < texts.Length; i++)
        {
            var p = predictions[i];
            var all = string.Join(" ", p.Probabilities.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value:F3}")));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p.Label}\t{p.Probability:F3}\t{all}\t{texts[i]}"));
        }
        return 0;
    }
}
