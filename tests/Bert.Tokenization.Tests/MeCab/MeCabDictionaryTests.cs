using System.Buffers.Binary;
using System.Text;
using Bert.Tokenization.MeCab;
using Xunit.Abstractions;

namespace Bert.Tokenization.Tests.MeCab;

/// <summary>
/// <see cref="MeCabDictionary"/> on a tiny dictionary compiled by mecab-dict-index (TestData/mecab/tiny, made with
/// its goldens by make_tiny_dictionary.py): results equal to mecab's, and damaged folders refused with a message
/// naming the file, never a crash.
/// </summary>
public sealed class MeCabDictionaryTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string Tiny = MeCabFixtures.TestData("tiny");
    private static readonly string[] Files = ["sys.dic", "unk.dic", "char.bin", "matrix.bin", "dicrc"];
    private readonly string scratch = Directory.CreateTempSubdirectory("mecab-dic-").FullName;

    public void Dispose() => Directory.Delete(scratch, true);

    [Fact]
    public void Tiny_dictionary_matches_mecab_wakati()
    {
        var tagger = MeCabTagger.Load(Tiny);
        var lines = File.ReadAllLines(MeCabFixtures.TestData("wakati-tiny.tsv"), Encoding.UTF8);
        lines.Should().HaveCount(152);
        foreach (var line in lines)
        {
            var columns = line.Split('\t');
            var actual = new List<byte>();
            MeCabFixtures.AppendWakati(tagger, MeCabFixtures.Unescape(columns[0]), actual);
            Encoding.UTF8.GetString([.. actual]).Should().Be(Encoding.UTF8.GetString(MeCabFixtures.Unescape(columns[1])) + "\n", columns[0]);
        }
    }

    [Fact]
    public void Tiny_dictionary_matches_mecab_features()
    {
        var tagger = MeCabTagger.Load(Tiny);
        foreach (var line in File.ReadAllLines(MeCabFixtures.TestData("parse-tiny.tsv"), Encoding.UTF8))
        {
            var columns = line.Split('\t');
            var text = Encoding.UTF8.GetString(MeCabFixtures.Unescape(columns[0]));
            var actual = string.Concat(tagger.Parse(text).Select(m => $"{m.Surface}\t{m.Feature}\n")) + "EOS\n";
            actual.Should().Be(Encoding.UTF8.GetString(MeCabFixtures.Unescape(columns[1])), columns[0]);
        }
    }

    [Fact]
    public void Load_reports_what_mecab_D_reports()
    {
        var dictionary = MeCabDictionary.Load(Tiny);
        dictionary.Charset.Should().Be("utf-8");
        dictionary.Size.Should().Be(40);
        dictionary.LeftSize.Should().Be(4);
        dictionary.RightSize.Should().Be(4);
        dictionary.Folder.Should().Be(Tiny);
    }

    [Fact]
    public void A_missing_folder_or_file_is_named()
    {
        FluentActions.Invoking(() => MeCabDictionary.Load(Path.Combine(scratch, "nowhere")))
            .Should().Throw<DirectoryNotFoundException>().WithMessage("*nowhere*");
        foreach (var missing in Files)
        {
            var folder = Copy("missing-" + missing);
            File.Delete(Path.Combine(folder, missing));
            FluentActions.Invoking(() => MeCabDictionary.Load(folder))
                .Should().Throw<FileNotFoundException>().WithMessage($"*{Path.Combine(folder, missing)}*");
        }
    }

    [Theory]
    [InlineData("sys.dic", 10)]
    [InlineData("sys.dic", 4000)]
    [InlineData("sys.dic", 7950)]
    [InlineData("unk.dic", 1)]
    [InlineData("char.bin", 4)]
    [InlineData("matrix.bin", 2)]
    [InlineData("matrix.bin", 35)]
    public void A_truncated_file_is_named(string file, int keep)
    {
        var folder = Copy("truncated");
        var path = Path.Combine(folder, file);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..keep]);
        FluentActions.Invoking(() => MeCabDictionary.Load(folder))
            .Should().Throw<InvalidDataException>().WithMessage($"*{path}*truncated*");
    }

    [Fact]
    public void Another_version_is_refused()
    {
        var folder = Copy("version");
        Patch(folder, "sys.dic", data => BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), 101));
        FluentActions.Invoking(() => MeCabDictionary.Load(folder))
            .Should().Throw<InvalidDataException>().WithMessage("*sys.dic*version 101*");
    }

    [Fact]
    public void Another_endianness_is_refused()
    {
        var folder = Copy("endianness");
        Patch(folder, "unk.dic", data => data.AsSpan(0, 4).Reverse());
        FluentActions.Invoking(() => MeCabDictionary.Load(folder))
            .Should().Throw<InvalidDataException>().WithMessage("*unk.dic*big-endian*");
    }

    [Fact]
    public void A_file_that_is_no_dictionary_is_refused()
    {
        var folder = Copy("text");
        File.WriteAllText(Path.Combine(folder, "sys.dic"), new string('x', 500));
        FluentActions.Invoking(() => MeCabDictionary.Load(folder))
            .Should().Throw<InvalidDataException>().WithMessage("*sys.dic*not a MeCab dictionary*");
    }

    [Fact]
    public void A_matrix_of_another_dictionary_is_refused()
    {
        var folder = Copy("matrix");
        var matrix = new byte[4 + (2 * 5 * 3)];
        BinaryPrimitives.WriteUInt16LittleEndian(matrix, 5);
        BinaryPrimitives.WriteUInt16LittleEndian(matrix.AsSpan(2), 3);
        File.WriteAllBytes(Path.Combine(folder, "matrix.bin"), matrix);
        FluentActions.Invoking(() => MeCabDictionary.Load(folder))
            .Should().Throw<InvalidDataException>().WithMessage("*matrix.bin* (5 x 3) does not match *sys.dic* (4 x 4*");
    }

    [Fact]
    public void A_token_outside_the_matrix_is_refused()
    {
        var folder = Copy("context");
        // The first token of sys.dic: its left context id 9 is past the 4 x 4 matrix.
        Patch(folder, "sys.dic", data =>
        {
            var tokens = 72 + (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(24));
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(tokens), 9);
        });
        FluentActions.Invoking(() => MeCabDictionary.Load(folder))
            .Should().Throw<InvalidDataException>().WithMessage("*sys.dic*context ids (9,*matrix.bin*");
    }

    [Fact]
    public void A_bad_dicrc_line_is_named()
    {
        var folder = Copy("dicrc");
        File.AppendAllText(Path.Combine(folder, "dicrc"), "no equals sign\n");
        FluentActions.Invoking(() => MeCabDictionary.Load(folder))
            .Should().Throw<InvalidDataException>().WithMessage("*dicrc' line 4*");
    }

    [Fact]
    public void Char_categories_without_unknown_words_are_refused()
    {
        var folder = Copy("category");
        // Rename category 0 (DEFAULT) in char.bin: unk.dic has no entries for the new name.
        Patch(folder, "char.bin", data => Encoding.ASCII.GetBytes("NOSUCH\0").CopyTo(data, 4));
        FluentActions.Invoking(() => MeCabDictionary.Load(folder))
            .Should().Throw<InvalidDataException>().WithMessage("*unk.dic*NOSUCH*char.bin*");
    }

    /// <summary>
    /// Seeded damage (flipped bytes, zeroed runs, truncation, extension) to one file at a time: the folder either
    /// loads and analyses text without error, or is refused with an exception that names the folder's file.
    /// </summary>
    [Fact]
    public void Damaged_copies_load_or_are_refused_but_never_crash()
    {
        var originals = Files[..4].ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(Tiny, f)));
        var texts = File.ReadAllLines(MeCabFixtures.TestData("wakati-tiny.tsv"), Encoding.UTF8)
            .Take(40).Select(l => Encoding.UTF8.GetString(MeCabFixtures.Unescape(l.Split('\t')[0]))).ToArray();
        var folder = Copy("mutation");
        var random = new Random(20261130);
        int loaded = 0, refused = 0;
        for (var round = 0; round < 400; round++)
        {
            foreach (var (name, bytes) in originals)
                File.WriteAllBytes(Path.Combine(folder, name), bytes);
            var file = Files[random.Next(4)];
            var data = (byte[])originals[file].Clone();
            // char.bin is 262 KB of per-code classes; aim at its category names and the codes the texts use half the time.
            var span = file == "char.bin" && random.Next(2) == 0 ? 4 + (32 * 9) : data.Length;
            switch (random.Next(4))
            {
                case 0:
                    for (var k = random.Next(1, 9); k > 0; k--)
                        data[random.Next(span)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    var start = random.Next(span);
                    data.AsSpan(start, Math.Min(random.Next(1, 64), data.Length - start)).Clear();
                    break;
                case 2:
                    data = data[..random.Next(data.Length)];
                    break;
                default:
                    var grown = new byte[data.Length + random.Next(1, 64)];
                    data.CopyTo(grown, 0);
                    random.NextBytes(grown.AsSpan(data.Length));
                    data = grown;
                    break;
            }
            var path = Path.Combine(folder, file);
            File.WriteAllBytes(path, data);
            try
            {
                var tagger = MeCabTagger.Load(folder);
                foreach (var text in texts)
                {
                    var words = tagger.Parse(text);
                    string.Concat(words.Select(w => w.Surface)).Length.Should().BeLessThanOrEqualTo(text.Length + 1, $"round {round}: words are pieces of the text");
                }
                loaded++;
            }
            catch (InvalidDataException e)
            {
                e.Message.Should().Contain(folder, $"round {round} ({file}) names the file");
                refused++;
            }
        }
        output.WriteLine($"400 damaged folders: {loaded} loaded and analysed, {refused} refused with InvalidDataException.");
        refused.Should().BeGreaterThan(100);
        loaded.Should().BeGreaterThan(20);
    }

    private string Copy(string name)
    {
        var folder = Path.Combine(scratch, name);
        Directory.CreateDirectory(folder);
        foreach (var file in Files)
            File.Copy(Path.Combine(Tiny, file), Path.Combine(folder, file));
        return folder;
    }

    private static void Patch(string folder, string file, Action<byte[]> change)
    {
        var path = Path.Combine(folder, file);
        var data = File.ReadAllBytes(path);
        change(data);
        File.WriteAllBytes(path, data);
    }
}
