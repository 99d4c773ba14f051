using Bert.Core.Checkpoints;
using Bert.Core.Modeling;
using Bert.Tokenization;
using Bert.Tests;

namespace Bert.Core.Tests.Reliability;

/// <summary>
/// Seeded mutations (truncation at many offsets, flipped bytes, inserted bytes) of real files — a safetensors model
/// written by Python, SentencePiece models made by spm_train and the Japanese Wikipedia BERT's, and
/// bert_config.json — must end either in a successful load or in the documented exception, whose message names
/// the file. Never a NullReference/IndexOutOfRange/Overflow exception, a native crash or a hang.
/// (The TensorFlow bundle and the KNBC/CSV readers have their own loops beside their tests.)
/// </summary>
public class FileMutationTests
{
    private static readonly string ModelData = Path.Combine(AppContext.BaseDirectory, "TestData");

    internal static void Mutate(string source, int cases, int seed, Action<string> load, params Type[] documented)
    {
        byte[] original = File.ReadAllBytes(source);
        var random = new Random(seed);
        using var dir = new TempDir();
        int loaded = 0, rejected = 0;
        for (int i = 0; i < cases; i++)
        {
            byte[] bytes = (i % 3) switch
            {
                0 => original.AsSpan(0, random.Next(original.Length)).ToArray(),                 // truncated
                1 => Flip(original, random, 1 + random.Next(4)),                                  // flipped bytes
                _ => Insert(original, random),                                                     // inserted junk
            };
            string path = Path.Combine(dir.Path, $"case{i}" + Path.GetExtension(source));
            File.WriteAllBytes(path, bytes);
            try
            {
                load(path);
                loaded++;
            }
            catch (Exception ex) when (documented.Any(t => t.IsInstanceOfType(ex)))
            {
                ex.Message.Should().Contain(Path.GetFileName(path), $"case {i}: the message must name the file");
                rejected++;
            }
            catch (Exception ex)
            {
                throw new Xunit.Sdk.XunitException($"case {i} ({(i % 3 == 0 ? "truncated" : i % 3 == 1 ? "flipped" : "inserted")}) of {source}: undocumented {ex.GetType().Name}: {ex}");
            }
            File.Delete(path);
        }
        rejected.Should().BeGreaterThan(cases / 3, "most mutations must be detected");
        (loaded + rejected).Should().Be(cases);
    }

    private static byte[] Flip(byte[] original, Random random, int count)
    {
        var bytes = (byte[])original.Clone();
        for (int k = 0; k < count; k++) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
        return bytes;
    }

    private static byte[] Insert(byte[] original, Random random)
    {
        int at = random.Next(original.Length);
        var junk = new byte[1 + random.Next(16)];
        random.NextBytes(junk);
        return original.Take(at).Concat(junk).Concat(original.Skip(at)).ToArray();
    }

    [Fact]
    public void Mutated_safetensors_files_load_or_throw_InvalidDataException_naming_the_file()
    {
        TorchRuntime.EnsureAvailable();
        Mutate(Path.Combine(ModelData, "model", "tiny-gelu", "model.safetensors"), 900, 1,
            path => { foreach (var t in SafeTensors.Read(path).Values) t.Dispose(); },
            typeof(InvalidDataException));
    }

    [Fact]
    public void Mutated_sentencepiece_models_load_or_throw_InvalidDataException_naming_the_file()
    {
        foreach (var (model, seed) in new[] { ("unigram-ja.model", 2), ("bpe-ja.model", 3) })
        {
            Mutate(Path.Combine(ModelData, "spm", model), 600, seed,
                path => SentencePieceIndexer.Load(path).Encode("吾輩は猫である。ＡＢＣ１２３"),
                typeof(InvalidDataException));
        }
    }

    [SharedFact("models/wiki-ja/wiki-ja.model")]
    public void Mutated_copies_of_the_wiki_ja_model_load_or_throw_InvalidDataException_naming_the_file()
    {
        Mutate(SharedData.PathOf("models/wiki-ja/wiki-ja.model"), 150, 4,
            path => SentencePieceIndexer.Load(path).Encode("京都の紅葉"),
            typeof(InvalidDataException));
    }

    [SharedFact("fixtures/keras-bert-tiny/bert_config.json")]
    public void Mutated_bert_configs_load_or_throw_InvalidDataException_naming_the_file()
    {
        Mutate(SharedData.PathOf("fixtures/keras-bert-tiny/bert_config.json"), 900, 5,
            path => BertConfig.FromJsonFile(path),
            typeof(InvalidDataException));
    }

    [SharedFact("fixtures/keras-bert-tiny/bert_config.json")]
    public void A_directory_or_an_empty_file_given_as_a_file_is_a_clear_error()
    {
        using var dir = new TempDir();
        string empty = Path.Combine(dir.Path, "empty.json");
        File.WriteAllBytes(empty, Array.Empty<byte>());
        ((Action)(() => BertConfig.FromJsonFile(empty))).Should().Throw<InvalidDataException>().WithMessage("*empty.json*");
        ((Action)(() => BertConfig.FromJsonFile(dir.Path))).Should().Throw<Exception>()
            .Which.Should().Match(e => e is FileNotFoundException || e is InvalidDataException || e is UnauthorizedAccessException);
        ((Action)(() => SentencePieceIndexer.Load(dir.Path))).Should().Throw<Exception>()
            .Which.Should().Match(e => e is FileNotFoundException || e is InvalidDataException || e is UnauthorizedAccessException);
        ((Action)(() => SafeTensors.Read(empty))).Should().Throw<InvalidDataException>().WithMessage("*empty.json*");
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("bert-mutation-").FullName;

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }
}
