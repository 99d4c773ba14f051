using System.CommandLine;
using System.Text;
using Bert.Classification;
using Bert.Classification.Data;
using Bert.Classification.Metrics;
using Bert.Core.IO;

namespace Bert.Cli.Commands;

/// <summary><c>bert evaluate</c>: the classification report of a saved classifier on labelled data.</summary>
internal static class EvaluateCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "Folder of a saved classifier (bert train writes out/knbc/model).", Required = true };
    private static readonly Option<string?> Test = new("--test") { Description = "Folder in the reference layout (features.csv, labels.csv)." };
    private static readonly Option<string?> Data = new("--data") { Description = "A text,label CSV or TSV file." };
    private static readonly Option<string?> Predictions = new("--predictions") { Description = "Write a TSV: text, true label, predicted label." };

    public static Command Create()
    {
        var command = new Command("evaluate", """
            Print the classification report of a saved classifier on labelled data.
            Examples:
              bert evaluate --model out/knbc/model --test data/test
              bert evaluate --model out/knbc/model --data sentences.tsv --predictions predictions.tsv
            """)
        { Model, Test, Data, Predictions };
        command.SetAction((result, token) => Task.FromResult(Cli.Run(() => Run(result, token))));
        return command;
    }

    private static int Run(ParseResult args, CancellationToken token)
    {
        string? test = args.GetValue(Test), data = args.GetValue(Data);
        if ((test is null) == (data is null))
            throw new CliException("Give exactly one of --test DIR (features.csv + labels.csv) or --data FILE (text,label).");
        IReadOnlyList<TextExample> examples = test is not null
            ? LabeledTextFiles.LoadFeaturesAndLabels(test)
            : LabeledTextFiles.LoadTextLabel(data!);
        using var classifier = TextClassifier.Load(args.GetValue(Model)!);
        var unknown = examples.Select(e => e.Label).Distinct().Except(classifier.Labels).ToArray();
        if (unknown.Length > 0)
            Console.Error.WriteLine($"warning: labels the classifier does not know are counted as errors: {string.Join(", ", unknown)}");
        var predictions = classifier.PredictBatch(examples.Select(e => e.Text).ToArray(), cancellationToken: token);
        var predicted = predictions.Select(p => p.Label).ToArray();
        var labels = classifier.Labels.Concat(unknown).ToArray();
        var report = ClassificationReport.Create(examples.Select(e => e.Label).ToArray(), predicted, labels);
        Console.WriteLine(report.ToString());
        Console.WriteLine("Confusion matrix (rows: true, columns: predicted):");
        Console.WriteLine(report.FormatConfusionMatrix());
        if (args.GetValue(Predictions) is { } path)
        {
            var tsv = new StringBuilder("text\ttrue\tpredicted\n");
            for (int i = 0; i < examples.Count; i++)
                tsv.Append(Clean(examples[i].Text)).Append('\t').Append(examples[i].Label).Append('\t').Append(predicted[i]).Append('\n');
            AtomicFile.WriteAllText(path, tsv.ToString());
            Console.WriteLine($"Predictions written to {path}");
        }
        return 0;
    }

    private static string Clean(string text) => text.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ');
}
