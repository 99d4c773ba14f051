using Bert.Core;
using System.Text;
using System.Text.Json;
using Bert.Classification.Data;

namespace Bert.Classification.Tests.Data;

public sealed class LabeledTextFilesTests
{
    private static readonly string PythonCsv = Path.Combine(AppContext.BaseDirectory, "TestData", "data", "python_csv");

    private static readonly TextExample[] Tricky =
    [
        new("六角堂の前にある、蕪村庵というお店に行ってきた。", "グルメ"),
        new("He said \"hello\", then left", "quote"),
        new("two\nlines", "newline"),
        new("windows\r\nline end", "crlf"),
        new("tab\tinside", "tab"),
        new("  spaces  ", "space"),
        new("", "empty text"),
        new("\"", "lone quote"),
        new("comma, only", "comma, label"),
        new("emoji 😀 and ｶﾀｶﾅ", "携帯電話"),
    ];

    static LabeledTextFilesTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    [Fact]
    public void Reads_files_written_by_pythons_csv_module_with_bom_crlf_and_an_index_column()
    {
        var expected = JsonSerializer.Deserialize<List<Dictionary<string, string>>>(File.ReadAllText(Path.Combine(PythonCsv, "expected.json")))!
            .Select(d => new TextExample(d["text"], d["label"])).ToList();
        LabeledTextFiles.LoadFeaturesAndLabels(PythonCsv).Should().Equal(expected);
        LabeledTextFiles.LoadTable(Path.Combine(PythonCsv, "texts.tsv")).Should().Equal(expected);
    }

    [Fact]
    public void Reads_classic_mac_line_ends_as_pythons_csv_module_does()
    {
        // mac.csv: Python's csv.writer with lineterminator "\r" (Excel for Mac's "CSV (Macintosh)"); the expected rows are
        // what Python's csv.reader reads back. Before, the whole file was one line: "a header but no data rows".
        var expected = JsonSerializer.Deserialize<List<Dictionary<string, string>>>(File.ReadAllText(Path.Combine(PythonCsv, "expected_mac.json")))!
            .Select(d => new TextExample(d["text"], d["label"])).ToList();
        expected.Should().HaveCountGreaterThan(5);
        var path = Path.Combine(PythonCsv, "mac.csv");
        File.ReadAllBytes(path).Should().NotContain((byte)'\n').And.Contain((byte)'\r');
        LabeledTextFiles.LoadTable(path).Should().Equal(expected);

        // The same lines as TSV and as JSON lines, and a file without a final line end.
        using var temp = new TempFolder();
        var tsv = temp.File("mac.tsv");
        var plain = expected.Where(e => !e.Text.Contains('"', StringComparison.Ordinal) && !e.Text.Contains('\t', StringComparison.Ordinal)).ToList();
        File.WriteAllText(tsv, "text\tlabel\r" + string.Join("\r", plain.Select(e => e.Text + "\t" + e.Label)));
        LabeledTextFiles.LoadTable(tsv).Should().Equal(plain);
        var jsonl = temp.File("mac.jsonl");
        File.WriteAllText(jsonl, "{\"text\": \"a\", \"label\": \"x\"}\r{\"text\": \"b\", \"label\": \"y\"}\r");
        LabeledTextFiles.LoadTable(jsonl).Should().Equal(new TextExample("a", "x"), new TextExample("b", "y"));
    }

    [Fact]
    public void Features_and_labels_round_trip_quotes_commas_and_newlines()
    {
        using var temp = new TempFolder();
        LabeledTextFiles.SaveFeaturesAndLabels(temp.Path, Tricky);
        LabeledTextFiles.LoadFeaturesAndLabels(temp.Path).Should().Equal(Tricky);
        File.ReadAllText(temp.File("labels.csv")).Should().StartWith("label\n").And.Contain("\"comma, label\"\n");
        File.ReadAllText(temp.File("features.csv")).Should().Contain("\n\"\"\n", "a lone empty field is written as \"\" (as Python's csv)");
        Directory.GetFiles(temp.Path).Select(Path.GetFileName).Should().BeEquivalentTo(["features.csv", "labels.csv"], "no temporary files are left");
    }

    [Theory]
    [InlineData("texts.csv")]
    [InlineData("texts.tsv")]
    public void Text_label_tables_round_trip_with_ids_and_groups(string name)
    {
        using var temp = new TempFolder();
        var examples = Tricky.Select((e, i) => e with { Id = "s" + i, GroupId = i % 3 == 0 ? null : "g" + (i % 2) }).ToList();
        var path = temp.File(name);
        LabeledTextFiles.SaveTable(path, examples);
        LabeledTextFiles.LoadTable(path).Should().Equal(examples);
        File.ReadAllText(path).Should().StartWith(name.EndsWith(".tsv", StringComparison.Ordinal) ? "text\tlabel\tid\tgroup\n" : "text,label,id,group\n");
        // Overwriting is atomic: the new content replaces the old, no temporary file remains.
        LabeledTextFiles.SaveTable(path, examples.Take(2));
        LabeledTextFiles.LoadTable(path).Should().HaveCount(2);
        Directory.GetFiles(temp.Path).Should().ContainSingle();
    }

    [Fact]
    public void A_jsonl_path_is_written_as_json_lines_and_a_label_holding_the_separator_is_refused()
    {
        // SaveTable wrote CSV into a .jsonl file, which LoadTable then refused ("not a JSON object"); a multi-label label
        // holding '|' was written joined and read back as two labels.
        using var temp = new TempFolder();
        var singles = Tricky.Select((e, i) => e with { Id = "s" + i, GroupId = i % 2 == 0 ? null : "g" }).ToList();
        var multi = new List<TextExample> { new("a", ["x", "y"]), new("b \"quoted\"\n", []), new("c", ["京都"]) };
        var values = new List<TextExample> { new("a", 0.1), new("b", -3e-300), new("c", 1.0 / 3) };
        var pairs = new List<TextExample> { new("a", "x") { Text2 = "b" } };
        foreach (var (examples, type) in new[] { (singles, ProblemType.SingleLabel), (multi, ProblemType.MultiLabel), (values, ProblemType.Regression), (pairs, ProblemType.SingleLabel) })
        {
            var path = temp.File("data.jsonl");
            LabeledTextFiles.SaveTable(path, examples);
            LabeledTextFiles.LoadTable(path, new TextTableOptions { ProblemType = type }).Should().Equal(examples);
            File.ReadAllLines(path).Should().HaveCount(examples.Count).And.OnlyContain(l => l.StartsWith("{\"text\":", StringComparison.Ordinal));
        }
        File.ReadAllText(temp.File("data.jsonl")).Should().NotContain("\\u", "Japanese and quotes are written as text, not escapes");

        var joined = new[] { new TextExample("t", ["x|y", "z"]) };
        foreach (var name in new[] { "m.csv", "m.jsonl" })
            FluentActions.Invoking(() => LabeledTextFiles.SaveTable(temp.File(name), joined))
                .Should().Throw<ArgumentException>().WithMessage("*'x|y'*separator*");
        FluentActions.Invoking(() => LabeledTextFiles.SaveFeaturesAndLabels(temp.File("fl"), joined)).Should().Throw<ArgumentException>();
        File.Exists(temp.File("m.csv")).Should().BeFalse();
    }

    [Fact]
    public void Reads_from_a_stream()
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes("label,text\nA,\"x, y\"\nB,z\n"));
        LabeledTextFiles.LoadTable(stream, "memory.csv").Should().Equal(new TextExample("x, y", "A"), new TextExample("z", "B"));
        using var features = new MemoryStream(Encoding.UTF8.GetBytes("feature\none\ntwo\n"));
        using var labels = new MemoryStream(Encoding.UTF8.GetBytes("label\nA\n"));
        FluentActions.Invoking(() => LabeledTextFiles.LoadFeaturesAndLabels(features, labels)).Should().Throw<InvalidDataException>()
            .WithMessage("features.csv has 2 rows but labels.csv has 1*features.csv, line 3, has no counterpart*");
    }

    [Fact]
    public void A_multi_label_json_array_label_holding_the_separator_is_refused_not_split()
    {
        using var temp = new TempFolder();
        var path = temp.File("x.jsonl");
        File.WriteAllText(path, "{\"text\": \"京都\", \"label\": [\"京都|グルメ\"]}\n");
        FluentActions.Invoking(() => LabeledTextFiles.LoadTable(path, new TextTableOptions { ProblemType = ProblemType.MultiLabel }))
            .Should().Throw<InvalidDataException>().WithMessage("*the label '京都|グルメ' in 'label' holds the label separator '|'*");
        File.WriteAllText(path, "{\"text\": \"京都\", \"label\": [\"京都\", \"グルメ\"]}\n");
        LabeledTextFiles.LoadTable(path, new TextTableOptions { ProblemType = ProblemType.MultiLabel }).Single().Labels.Should().Equal("京都", "グルメ");
    }

    [Fact]
    public void Bad_content_names_the_file_and_line()
    {
        using var temp = new TempFolder();
        var cases = new (string Content, string Expected)[]
        {
            ("text,lbl\na,b\n", "*line 1: no column 'label' in the header (found: 'text', 'lbl'*"),
            ("text;label\na;b\n", "*line 1: no column 'text'*delimiter ','*"),
            ("text,label\na,b\nc\n", "*line 3: 1 field(s) but the header has 2*"),
            ("text,label\na,b\n\"unclosed,b\nmore\n", "*line 3: a quoted field is not closed*"),
            ("text,label\n\"a\"x,b\n", "*line 2: unexpected character 'x' after the closing quote*"),
            ("text,label\na,\n", "*line 2: the label is empty*"),
            ("text,label\n", "*a header but no data rows*"),
            ("\n\n", "*only blank lines*"),
            ("text,label\na,b,c\n", "*line 2: 3 field(s)*"),
            ("text,label,text\na,b,c\n", "*line 1: column 'text' appears 2 times*"),
        };
        foreach (var (content, expected) in cases)
        {
            var path = temp.File("t.csv");
            File.WriteAllText(path, content);
            FluentActions.Invoking(() => LabeledTextFiles.LoadTable(path)).Should().Throw<InvalidDataException>()
                .WithMessage(path + "*").WithMessage(expected);
        }
    }

    [Fact]
    public void A_file_truncated_inside_a_character_or_a_quoted_field_names_the_line()
    {
        using var temp = new TempFolder();
        var path = temp.File("texts.csv");
        LabeledTextFiles.SaveTable(path, Tricky);
        var bytes = File.ReadAllBytes(path);
        var content = File.ReadAllText(path);
        var lastLine = content.TrimEnd('\n').Split('\n').Length;
        // The file ends with "emoji 😀 and ｶﾀｶﾅ,携帯電話\n": cut inside the last 3-byte character.
        File.WriteAllBytes(path, bytes[..^2]);
        FluentActions.Invoking(() => LabeledTextFiles.LoadTable(path)).Should().Throw<InvalidDataException>()
            .WithMessage($"{path}, line {lastLine}: invalid utf-8*");
        // Cut inside the quoted "two\nlines" field (line 4 of the file).
        var cut = content.IndexOf("two\nlines", StringComparison.Ordinal) + 5;
        File.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(content[..cut]));
        FluentActions.Invoking(() => LabeledTextFiles.LoadTable(path)).Should().Throw<InvalidDataException>()
            .WithMessage($"{path}, line 4: a quoted field is not closed*");
    }

    [Fact]
    public void Euc_jp_where_utf8_is_expected_names_the_file_and_line()
    {
        using var temp = new TempFolder();
        var path = temp.File("t.csv");
        File.WriteAllBytes(path, Encoding.GetEncoding(51932).GetBytes("text,label\nabc,x\n京都に行った,京都\n"));
        FluentActions.Invoking(() => LabeledTextFiles.LoadTable(path)).Should().Throw<InvalidDataException>()
            .WithMessage($"{path}, line 3: invalid utf-8 byte sequence*");
    }

    [Fact]
    public void Mismatched_row_counts_empty_files_directories_and_missing_files_are_documented_errors()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("features.csv"), "feature\na\nb\nc\n");
        File.WriteAllText(temp.File("labels.csv"), "label\nx\ny\n");
        FluentActions.Invoking(() => LabeledTextFiles.LoadFeaturesAndLabels(temp.Path)).Should().Throw<InvalidDataException>()
            .WithMessage($"*features.csv has 3 rows but*labels.csv has 2*features.csv, line 4, has no counterpart*");
        File.WriteAllText(temp.File("labels.csv"), "");
        FluentActions.Invoking(() => LabeledTextFiles.LoadFeaturesAndLabels(temp.Path)).Should().Throw<InvalidDataException>()
            .WithMessage($"{temp.File("labels.csv")}: the file is empty*");
        File.Delete(temp.File("labels.csv"));
        FluentActions.Invoking(() => LabeledTextFiles.LoadFeaturesAndLabels(temp.Path)).Should().Throw<FileNotFoundException>()
            .WithMessage($"*{temp.File("labels.csv")}*");
        Directory.CreateDirectory(temp.File("labels.csv"));
        FluentActions.Invoking(() => LabeledTextFiles.LoadFeaturesAndLabels(temp.Path)).Should().Throw<ArgumentException>()
            .WithMessage($"*{temp.File("labels.csv")}*is a directory*");
        FluentActions.Invoking(() => LabeledTextFiles.LoadFeaturesAndLabels(temp.File("features.csv"))).Should().Throw<ArgumentException>()
            .WithMessage("*is a file; expected the folder*");
        FluentActions.Invoking(() => LabeledTextFiles.LoadTable(temp.Path)).Should().Throw<ArgumentException>().WithMessage("*is a directory*");
        FluentActions.Invoking(() => LabeledTextFiles.SaveTable(temp.File("x.csv"), [new TextExample("a", "x"), new TextExample("b", 1.0)])).Should().Throw<ArgumentException>().WithMessage("*one kind of target*");
    }

    [Fact]
    public void Mutated_csv_files_load_or_fail_with_invalid_data_naming_the_file()
    {
        using var temp = new TempFolder();
        var source = temp.File("source.csv");
        LabeledTextFiles.SaveTable(source, Enumerable.Range(0, 60).Select(i => Tricky[i % Tricky.Length] with { Id = "id" + i }));
        var original = File.ReadAllBytes(source);
        var rng = new Pcg64(7);
        var invalid = 0;
        for (var c = 0; c < 1000; c++)
        {
            var (bytes, what) = Bert.Classification.Tests.SampleData.KnbcCorpusTests.Mutate(original, rng);
            var path = temp.File("mutated.csv");
            File.WriteAllBytes(path, bytes);
            try
            {
                LabeledTextFiles.LoadTable(path).Should().OnlyContain(e => e.Label!.Length > 0, $"case {c} ({what})");
            }
            catch (InvalidDataException e)
            {
                e.Message.Should().StartWith(path, $"case {c} ({what})");
                invalid++;
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"case {c} ({what}) threw {e.GetType().Name}: {e.Message}");
            }
        }
        invalid.Should().BeGreaterThan(150);
    }
}

public sealed class LabeledTextFilesTaskTests
{
    static LabeledTextFilesTaskTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    [Fact]
    public void Pairs_multi_label_and_regression_targets_round_trip_through_features_and_labels()
    {
        using var temp = new TempFolder();
        TextExample[] multi = [new("a, b", ["x", "y"]) { Text2 = "second\ttext" }, new("c", Array.Empty<string>()) { Text2 = "" }, new("d", ["y"]) { Text2 = "e" }];
        LabeledTextFiles.SaveFeaturesAndLabels(temp.Path, multi);
        File.ReadAllText(temp.File("features.csv")).Should().StartWith("feature,feature2\n");
        File.ReadAllText(temp.File("labels.csv")).Should().Be("label\nx|y\n\"\"\ny\n");
        LabeledTextFiles.LoadFeaturesAndLabels(temp.Path, new TextTableOptions { ProblemType = ProblemType.MultiLabel }).Should().Equal(multi);

        TextExample[] values = [new("a", 0.1), new("b", -2.5e-7), new("c", 1e300)];
        LabeledTextFiles.SaveFeaturesAndLabels(temp.Path, values);
        File.ReadAllText(temp.File("labels.csv")).Should().Be("label\n0.1\n-2.5E-07\n1E+300\n");
        LabeledTextFiles.LoadFeaturesAndLabels(temp.Path, new TextTableOptions { ProblemType = ProblemType.Regression }).Should().Equal(values);
    }

    [Fact]
    public void Bad_targets_name_the_file_and_line()
    {
        using var temp = new TempFolder();
        var path = temp.File("t.csv");
        var cases = new (string Content, ProblemType Type, string Expected)[]
        {
            ("text,label\na,1.5\nb,1,5\n", ProblemType.Regression, "*line 3: 3 field(s)*"),
            ("text,label\na,1.5\nb,\"1,5\"\n", ProblemType.Regression, "*line 3: the target '1,5' is not a finite number*"),
            ("text,label\na,NaN\n", ProblemType.Regression, "*line 2: the target 'NaN' is not a finite number*"),
            ("text,label\na,x||y\n", ProblemType.MultiLabel, "*line 2: the labels 'x||y' hold an empty label*"),
            ("text,label\na,x|x\n", ProblemType.MultiLabel, "*line 2: the labels 'x|x' repeat a label*"),
        };
        foreach (var (content, type, expected) in cases)
        {
            File.WriteAllText(path, content);
            FluentActions.Invoking(() => LabeledTextFiles.LoadTable(path, new TextTableOptions { ProblemType = type })).Should().Throw<InvalidDataException>()
                .WithMessage(path + "*").WithMessage(expected);
        }
    }

    [Fact]
    public void Named_columns_an_encoding_and_json_lines_are_read()
    {
        using var temp = new TempFolder();
        var sjis = temp.File("data.tsv");
        File.WriteAllBytes(sjis, Encoding.GetEncoding("shift_jis").GetBytes("sentence\tscore\tpremise\n京都に行った\t4.5\t旅行\n"));
        var options = new TextTableOptions { TextColumn = "sentence", LabelColumn = "score", Text2Column = "premise", ProblemType = ProblemType.Regression, Encoding = Encoding.GetEncoding("shift_jis") };
        LabeledTextFiles.LoadTable(sjis, options).Should().Equal(new TextExample("京都に行った", 4.5) { Text2 = "旅行" });
        FluentActions.Invoking(() => LabeledTextFiles.LoadTable(sjis, new TextTableOptions { TextColumn = "sentence", LabelColumn = "score" }))
            .Should().Throw<InvalidDataException>().WithMessage($"{sjis}, line 2: invalid utf-8*");

        var jsonl = temp.File("data.jsonl");
        File.WriteAllText(jsonl, "{\"text\": \"a\", \"label\": [\"x\", \"y\"], \"id\": 7}\n\n{\"text\": \"b\\tc\", \"label\": \"y\", \"group\": \"g\"}\n");
        LabeledTextFiles.LoadTable(jsonl, new TextTableOptions { ProblemType = ProblemType.MultiLabel })
            .Should().Equal(new TextExample("a", ["x", "y"]) { Id = "7" }, new TextExample("b\tc", ["y"]) { GroupId = "g" });
        File.WriteAllText(jsonl, "{\"text\": \"a\", \"label\": 2.5}\n{\"text\": \"b\"}\n");
        FluentActions.Invoking(() => LabeledTextFiles.LoadTable(jsonl, new TextTableOptions { ProblemType = ProblemType.Regression }))
            .Should().Throw<InvalidDataException>().WithMessage($"{jsonl}, line 2: no field 'label'*");
        File.WriteAllText(jsonl, "[1]\n");
        FluentActions.Invoking(() => LabeledTextFiles.LoadTable(jsonl)).Should().Throw<InvalidDataException>().WithMessage($"{jsonl}, line 1: a JSON Array*");
        FluentActions.Invoking(() => LabeledTextFiles.LoadTable(jsonl, new TextTableOptions { Encoding = Encoding.Unicode })).Should().Throw<ArgumentException>().WithMessage("*utf-16*");
    }
}
