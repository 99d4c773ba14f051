using System.CommandLine;
using System.Globalization;
using System.Text;
using Bert.Classification;
using Bert.Classification.Data;
using Bert.Classification.Metrics;
using Bert.Core.IO;

namespace Bert.Cli.Commands;

/// <summary><c>bert evaluate</c>: the report of a saved classifier (single-label, multi-label or regression) on labelled data.</summary>
internal static class EvaluateCommand
{
    private static readonly Option<string> Device = DeviceOption.Create();
    private static readonly Option<string> Model = new("--model") { Description = "Folder of a saved classifier (bert train writes out/knbc/model).", Required = true };
    private static readonly Option<string?> Test = new("--test") { Description = "Folder in the reference layout (features.csv with 'feature' and optional 'feature2', labels.csv with 'label')." };
    private static readonly Option<string?> Data = new("--data") { Description = "A table with columns text, label (optional text2): CSV, TSV or JSON lines (.jsonl)." };
    private static readonly Option<string?> Predictions = new("--predictions") { Description = "Write a TSV: text, text2 (pairs), true, predicted, then p_LABEL per label (not for regression)." };

    public static Command Create()
    {
        var command = new Command("evaluate", """
            Print the report of a saved classifier on labelled data (the model's task decides how labels are read:
            one label, labels joined by '|', or a number).
            Examples:
              bert evaluate --model out/knbc/model --test data/test --predictions predictions.tsv
              bert evaluate --model out/knbc/model --data sentences.tsv
            """)
        { Model, Test, Data, Predictions, Device };
        command.SetAction((result, token) => Task.FromResult(Cli.Run(() => Run(result, token))));
        return command;
    }

    private static int Run(ParseResult args, CancellationToken token)
    {
        string? test = args.GetValue(Test), data = args.GetValue(Data);
        if ((test is null) == (data is null))
            throw new CliException("Give exactly one of --test DIR (features.csv + labels.csv) or --data FILE (text,label).");
        using var classifier = TextClassifier.Load(args.GetValue(Model)!, DeviceOption.Parse(args.GetValue(Device)!));
        var options = new TextTableOptions { ProblemType = classifier.ProblemType };
        IReadOnlyList<TextExample> examples = test is not null
            ? LabeledTextFiles.LoadFeaturesAndLabels(test, options)
            : LabeledTextFiles.LoadTable(data!, options);
        bool pairs = examples[0].Text2 is not null;
        if (examples.Any(e => (e.Text2 is not null) != pairs))
            throw new CliException("Some examples have a second text and some do not; a data set is all pairs or all single texts.");
        var predictions = classifier.PredictBatch(examples.Select(e => e.Text).ToArray(), pairs ? examples.Select(e => e.Text2!).ToArray() : null, cancellationToken: token);
        Console.WriteLine(Report(classifier, examples, predictions));
        TruncationNote.Report(classifier.Indexer, classifier.MaxSequenceLength, examples.Select(e => e.Text).ToArray(), pairs ? examples.Select(e => e.Text2!).ToArray() : null);
        if (args.GetValue(Predictions) is { } path)
        {
            AtomicFile.WriteAllText(path, PredictionsTsv(classifier, examples, predictions, pairs));
            Console.WriteLine($"Predictions written to {path}");
        }
        return 0;
    }

    private static string Report(TextClassifier classifier, IReadOnlyList<TextExample> examples, IReadOnlyList<Prediction> predictions)
    {
        switch (classifier.ProblemType)
        {
            case ProblemType.Regression:
                return RegressionReport.Create(examples.Select(e => e.Value!.Value).ToArray(), predictions.Select(p => p.Value!.Value).ToArray()).ToString();
            case ProblemType.MultiLabel:
                var unknownSets = examples.SelectMany(e => e.Labels!).Distinct().Except(classifier.Labels).ToArray();
                CheckSpelling(unknownSets, classifier.Labels);
                if (unknownSets.Length > 0)
                    throw new CliException($"The data hold labels the classifier does not know: {string.Join(", ", unknownSets)}.");
                return MultiLabelReport.Create(examples.Select(e => (IReadOnlyCollection<string>)e.Labels!).ToArray(),
                    predictions.Select(p => (IReadOnlyCollection<string>)p.Labels).ToArray(), classifier.Labels).ToString();
            default:
                var unknown = examples.Select(e => e.Label!).Distinct().Except(classifier.Labels).ToArray();
                CheckSpelling(unknown, classifier.Labels);
                if (unknown.Length > 0)
                    Console.Error.WriteLine($"warning: labels the classifier does not know are counted as errors: {string.Join(", ", unknown.Select(l => "'" + l + "'"))}");
                var report = ClassificationReport.Create(examples.Select(e => e.Label!).ToArray(), predictions.Select(p => p.Label!).ToArray(), classifier.Labels.Concat(unknown).ToArray());
                return report + "\nConfusion matrix (rows: true, columns: predicted):\n" + report.FormatConfusionMatrix();
        }
    }

    /// <summary>A data label that is one of the classifier's but for case or surrounding white space is a spelling error, not a new class.</summary>
    private static void CheckSpelling(IEnumerable<string> unknown, IReadOnlyList<string> known)
    {
        foreach (var label in unknown)
        {
            if (known.FirstOrDefault(k => string.Equals(k.Trim(), label.Trim(), StringComparison.OrdinalIgnoreCase)) is { } match)
                throw new CliException($"The data's label '{label}' differs from the classifier's label '{match}' only by case or surrounding white space; fix the data.");
        }
    }

    /// <summary>The predictions file: text fields escaped (a tab or newline inside a text cannot break the columns).</summary>
    private static string PredictionsTsv(TextClassifier classifier, IReadOnlyList<TextExample> examples, IReadOnlyList<Prediction> predictions, bool pairs)
    {
        bool regression = classifier.ProblemType == ProblemType.Regression;
        var header = new List<string> { "text" };
        if (pairs) header.Add("text2");
        header.Add("true");
        header.Add("predicted");
        if (!regression) header.AddRange(classifier.Labels.Select(l => "p_" + Tsv.Escape(l)));
        var tsv = new StringBuilder().AppendJoin('\t', header).Append('\n');
        for (int i = 0; i < examples.Count; i++)
        {
            var row = new List<string> { Tsv.Escape(examples[i].Text) };
            if (pairs) row.Add(Tsv.Escape(examples[i].Text2!));
            row.Add(Tsv.Escape(examples[i].FormatTarget()));
            row.Add(Tsv.Escape(predictions[i].ToString()));
            if (!regression) row.AddRange(predictions[i].Probabilities.Select(p => p.Value.ToString("R", CultureInfo.InvariantCulture)));
            tsv.AppendJoin('\t', row).Append('\n');
        }
        return tsv.ToString();
    }
}
