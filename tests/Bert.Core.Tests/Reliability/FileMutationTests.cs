using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Bert.Core.Checkpoints;
using Bert.Core.Modeling;
using Bert.Tokenization;
using Bert.Tests;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Reliability;

/// <summary>
/// Seeded mutations of real files — a safetensors model written by Python, SentencePiece models made by spm_train
/// and the Japanese Wikipedia BERT's, a WordPiece vocab.txt, bert_config.json — must end either in a successful load
/// or in the documented exception, whose message names the file. Never a NullReference/IndexOutOfRange/Overflow
/// exception, a native crash, a hang or an unbounded allocation. Byte-level mutations (truncation, flipped and
/// inserted bytes) may load; structural mutations that make a file inconsistent (a safetensors header length off by
/// 1–3 bytes, overlapping, gapped or trailing ranges, empty names, a config that does not fit its checkpoint) must
/// ALL be refused. (The TensorFlow bundle has its own 2400-case loop beside its tests; CSV/KNBC beside theirs.)
/// </summary>
public class FileMutationTests(ITestOutputHelper output)
{
    private static readonly string ModelData = Path.Combine(AppContext.BaseDirectory, "TestData");

    private void Mutate(string source, int cases, int seed, Action<string> load, params Type[] documented)
    {
        byte[] original = File.ReadAllBytes(source);
        Run(source, Path.GetExtension(source), cases, seed, (i, random) => (i % 3) switch
        {
            0 => ("truncated", original.AsSpan(0, random.Next(original.Length)).ToArray()),
            1 => ("flipped", Flip(original, random, 1 + random.Next(4))),
            _ => ("inserted", Insert(original, random)),
        }, load, mustRefuse: false, documented);
    }

    /// <summary>
    /// The one harness: <paramref name="cases"/> files made by <paramref name="make"/> (seeded) are loaded; each must
    /// load or throw a <paramref name="documented"/> exception naming the file (every one must throw when
    /// <paramref name="mustRefuse"/>). Prints the counts.
    /// </summary>
    private void Run(string what, string extension, int cases, int seed, Func<int, Random, (string Kind, byte[] Bytes)> make,
        Action<string> load, bool mustRefuse, params Type[] documented)
    {
        var random = new Random(seed);
        using var dir = new TempDir();
        int loaded = 0, rejected = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < cases; i++)
        {
            var (kind, bytes) = make(i, random);
            string path = Path.Combine(dir.Path, $"case{i}" + extension);
            File.WriteAllBytes(path, bytes);
            try
            {
                load(path);
                if (mustRefuse)
                    throw new Xunit.Sdk.XunitException($"case {i} ({kind}) of {what} is inconsistent but was accepted");
                loaded++;
            }
            catch (Exception ex) when (documented.Any(t => t.IsInstanceOfType(ex)))
            {
                ex.Message.Should().Contain(Path.GetFileName(path), $"case {i} ({kind}): the message must name the file");
                rejected++;
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                throw new Xunit.Sdk.XunitException($"case {i} ({kind}) of {what}: undocumented {ex.GetType().Name}: {ex}");
            }
            File.Delete(path);
        }
        output.WriteLine($"{what}: {cases} cases, {rejected} refused cleanly, {loaded} loaded, {clock.ElapsedMilliseconds} ms");
        if (!mustRefuse)
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

    /// <summary>A valid safetensors file of 1–6 random tensors (random dtypes, shapes with zero-length ones), as bytes.</summary>
    private static byte[] RandomSafeTensors(Random random, string folder)
    {
        var dtypes = new[] { ScalarType.Float32, ScalarType.Float16, ScalarType.Int64, ScalarType.Int8, ScalarType.Float64 };
        var tensors = new List<KeyValuePair<string, Tensor>>();
        int count = 1 + random.Next(6);
        for (int t = 0; t < count; t++)
        {
            var shape = Enumerable.Range(0, 1 + random.Next(2)).Select(_ => (long)random.Next(t == 0 ? 1 : 0, 4)).ToArray();
            tensors.Add(KeyValuePair.Create($"t{t}", randint(-50, 50, shape).to(dtypes[random.Next(dtypes.Length)])));
        }
        string path = Path.Combine(folder, "base.safetensors");
        SafeTensors.Write(path, tensors);
        foreach (var (_, t) in tensors) t.Dispose();
        return File.ReadAllBytes(path);
    }

    /// <summary>The header of a safetensors file and its data section.</summary>
    private static (JsonObject Header, byte[] Data) Split(byte[] file)
    {
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        return (JsonNode.Parse(file.AsSpan(8, n))!.AsObject(), file[(8 + n)..]);
    }

    /// <summary>A safetensors file: length field (plus <paramref name="lengthDelta"/>), header padded with spaces, data.</summary>
    private static byte[] Join(JsonObject header, byte[] data, int lengthDelta = 0, int extraPadding = 0)
    {
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8 + extraPadding;
        var bytes = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(padded + lengthDelta));
        json.CopyTo(bytes, 8);
        bytes.AsSpan(8 + json.Length, padded - json.Length).Fill((byte)' ');
        data.CopyTo(bytes, 8 + padded);
        return bytes;
    }

    private static long[] Offsets(JsonObject header, string name) =>
        header[name]!["data_offsets"]!.AsArray().Select(v => v!.GetValue<long>()).ToArray();

    [Fact]
    public void Structurally_inconsistent_safetensors_files_are_all_refused_and_their_originals_load()
    {
        TorchRuntime.EnsureAvailable();
        using var scratch = new TempDir();
        string[] kinds = ["header-length-minus", "header-length-plus", "overlap", "zero-length-inside", "gap", "trailing-bytes",
            "missing-bytes", "empty-name", "no-tensors", "shape-vs-bytes", "dtype-vs-bytes"];
        Run("safetensors (structural)", ".safetensors", 330, 6, (i, random) =>
        {
            var original = RandomSafeTensors(random, scratch.Path);
            foreach (var t in SafeTensors.Read(Path.Combine(scratch.Path, "base.safetensors")).Values) t.Dispose(); // the original loads
            var (header, data) = Split(original);
            var names = header.Select(kv => kv.Key).Where(k => k != "__metadata__").ToList();
            string kind = kinds[i % kinds.Length];
            string name = names[random.Next(names.Count)];
            switch (kind)
            {
                case "header-length-minus": // with spare padding, so the JSON still parses and only the data would shift
                    return (kind, Join(header, data, -(1 + random.Next(3)), extraPadding: 8));
                case "header-length-plus":
                    return (kind, Join(header, data, 1 + random.Next(3)));
                case "overlap":
                {
                    // Move a non-empty tensor's range so that it starts inside the first tensor's bytes (sizes unchanged).
                    var first = Offsets(header, "t0");
                    var candidates = names.Where(n => n != "t0" && Offsets(header, n) is var o && o[1] > o[0]).ToList();
                    if (candidates.Count == 0)
                    {
                        header["t0_copy"] = header["t0"]!.DeepClone(); // two tensors on the same bytes
                        return (kind, Join(header, data));
                    }
                    string victim = candidates[random.Next(candidates.Count)];
                    var o = Offsets(header, victim);
                    long begin = first[0] + random.Next((int)(first[1] - first[0]));
                    header[victim]!["data_offsets"] = new JsonArray(begin, begin + (o[1] - o[0]));
                    return (kind, Join(header, data));
                }
                case "zero-length-inside":
                {
                    // The issue's case: 'z' (empty) strictly inside tensor A, and 'b' starting there too, overlapping A's tail.
                    // Sorted by begin, z stands between A and b, so a neighbours-only check sees no overlap.
                    string? a = names.FirstOrDefault(n => Offsets(header, n) is var o && o[1] - o[0] >= 2);
                    if (a is null)
                    {
                        header["copy"] = header[name]!.DeepClone(); // every tensor is 0–1 bytes: two on the same bytes
                        return (kind, Join(header, data));
                    }
                    var range = Offsets(header, a);
                    long at = range[0] + 1 + random.Next((int)(range[1] - range[0] - 1));
                    header["z"] = new JsonObject { ["dtype"] = "F32", ["shape"] = new JsonArray(0), ["data_offsets"] = new JsonArray(at, at) };
                    header["b"] = new JsonObject { ["dtype"] = "U8", ["shape"] = new JsonArray(range[1] - at), ["data_offsets"] = new JsonArray(at, range[1]) };
                    return (kind, Join(header, data));
                }
                case "gap":
                {
                    // Shift the last tensor (by begin) k bytes later and append k bytes: same total, a hole before it.
                    string last = names.OrderBy(n => Offsets(header, n)[0]).ThenBy(n => Offsets(header, n)[1]).Last();
                    var o = Offsets(header, last);
                    int k = 1 + random.Next(8);
                    header[last]!["data_offsets"] = new JsonArray(o[0] + k, o[1] + k);
                    return (kind, Join(header, [.. data, .. new byte[k]]));
                }
                case "trailing-bytes":
                    return (kind, Join(header, [.. data, .. new byte[1 + random.Next(8)]]));
                case "missing-bytes":
                    return (kind, Join(header, data[..^1]));
                case "empty-name":
                    header[""] = header[name]!.DeepClone();
                    header.Remove(name);
                    return (kind, Join(header, data));
                case "no-tensors":
                    foreach (var n in names) header.Remove(n);
                    return (kind, Join(header, []));
                case "shape-vs-bytes":
                    header["t0"]!["shape"]!.AsArray().Add(2); // t0 is never empty: twice the elements, same bytes
                    return (kind, Join(header, data));
                default: // dtype-vs-bytes
                {
                    string dtype = header["t0"]!["dtype"]!.GetValue<string>();
                    header["t0"]!["dtype"] = dtype == "F32" ? "F64" : "F32";
                    return (kind, Join(header, data));
                }
            }
        }, path => { foreach (var t in SafeTensors.Read(path).Values) t.Dispose(); }, mustRefuse: true, typeof(InvalidDataException));
    }

    [Fact]
    public void Mutated_torch_save_files_load_or_throw_InvalidDataException_naming_the_file()
    {
        TorchRuntime.EnsureAvailable();
        Mutate(Path.Combine(ModelData, "torchbin", "views.bin"), 300, 14,
            path => { foreach (var t in PyTorchCheckpointReader.Read(path).Values) t.Dispose(); },
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

    [Fact]
    public void Mutated_vocab_txt_files_load_or_throw_InvalidDataException_naming_the_file()
    {
        Mutate(Path.Combine(ModelData, "wordpiece", "vocab.txt"), 300, 7,
            path => WordPieceIndexer.Load(path).Encode("unaffable running"),
            typeof(InvalidDataException));
    }

    private static readonly string[] ConfigFields =
    [
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "hidden_act",
        "hidden_dropout_prob", "attention_probs_dropout_prob", "max_position_embeddings", "type_vocab_size",
        "initializer_range", "layer_norm_eps", "position_embedding_type",
    ];

    private static JsonNode? HostileValue(Random random) => random.Next(16) switch
    {
        0 => -random.Next(1, 1000),
        1 => 0,
        2 => int.MaxValue,
        3 => 1L << 40,
        4 => 1e300,
        5 => random.Next(1, 20000),
        6 => random.Next(1, 9),
        7 => 0.5 + random.Next(3),
        8 => "1",
        9 => null,
        10 => new JsonArray(1, 2),
        11 => "gelu ",
        12 => "GELU",
        13 => "relative_key",
        14 => double.Epsilon,
        _ => 100_000,
    };

    [Fact]
    public void Configs_with_hostile_field_values_load_within_the_ranges_or_throw_InvalidDataException_naming_file_and_field()
    {
        var original = JsonNode.Parse(File.ReadAllText(Path.Combine(ModelData, "model", "tiny-gelu", "config.json")))!.AsObject();
        Run("bert_config.json (hostile values)", ".json", 400, 8, (i, random) =>
        {
            var config = original.DeepClone().AsObject();
            for (int k = 0; k <= random.Next(2); k++)
                config[ConfigFields[random.Next(ConfigFields.Length)]] = HostileValue(random);
            return ("hostile value", Encoding.UTF8.GetBytes(config.ToJsonString()));
        }, path =>
        {
            var config = BertConfig.FromJsonFile(path);
            config.CountParameters().Should().BeLessThanOrEqualTo(BertConfig.MaxParameters);
            config.HiddenSize.Should().BeInRange(1, BertConfig.MaxHiddenSize);
            BertConfig.SupportedActivations.Should().Contain(config.HiddenAct);
        }, mustRefuse: false, typeof(InvalidDataException));
    }

    [Fact]
    public void A_config_either_passes_CheckShapes_and_loads_or_fails_CheckShapes_and_would_have_failed_to_load()
    {
        // CheckShapes reads only headers; it must agree with the full load it stands in front of: a config it passes
        // builds and loads, a config it refuses fails the load too (checked here by building the model anyway).
        TorchRuntime.EnsureAvailable();
        string checkpoint = Path.Combine(ModelData, "model", "tiny-gelu");
        var original = BertConfig.FromJsonFile(Path.Combine(checkpoint, "config.json"));
        var random = new Random(9);
        int passed = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 120; i++)
        {
            var config = original.Clone();
            switch (random.Next(7))
            {
                case 0: config.VocabSize = random.Next(20, 27); break;
                case 1: config.HiddenSize = 2 * random.Next(3, 6); break;
                case 2: config.NumHiddenLayers = random.Next(1, 4); break;
                case 3: config.IntermediateSize = random.Next(10, 14); break;
                case 4: config.MaxPositionEmbeddings = random.Next(8, 12); break;
                case 5: config.TypeVocabSize = random.Next(1, 5); break;
                default: config.NumAttentionHeads = new[] { 1, 2, 4, 8 }[random.Next(4)]; break;
            }
            var options = new CheckpointLoadOptions { AllowPositionSlicing = random.Next(2) == 0 };
            try
            {
                BertCheckpointLoader.CheckShapes(config, checkpoint, options);
                using var model = new BertModelBuilder(config).WithCheckpoint(checkpoint, options).Build();
                passed++;
            }
            catch (InvalidDataException ex) when (ex.Message.Contains(checkpoint, StringComparison.Ordinal))
            {
                using var model = new BertModel(config);
                var load = () => BertCheckpointLoader.Load(model, checkpoint, options);
                load.Should().Throw<InvalidDataException>($"case {i}: CheckShapes refused {config}, so the load must fail too");
                refused++;
            }
        }
        output.WriteLine($"CheckShapes vs load: 120 configs, {passed} passed and loaded, {refused} refused by both, {clock.ElapsedMilliseconds} ms");
        passed.Should().BeGreaterThan(10);
        refused.Should().BeGreaterThan(30);
    }

    [Theory]
    [InlineData("word.model", "*word.model*trainer_spec.model_type is WORD*UNIGRAM and BPE*")]
    [InlineData("char.model", "*char.model*trainer_spec.model_type is CHAR*")]
    [InlineData("suffix.model", "*suffix.model*treat_whitespace_as_suffix*")]
    public void SentencePiece_models_of_an_unsupported_kind_are_InvalidData_naming_file_and_field(string model, string message)
    {
        var load = () => SentencePieceIndexer.Load(Path.Combine(ModelData, "spm-unsupported", model));
        load.Should().Throw<InvalidDataException>().WithMessage(message);
    }

    [Fact]
    public void A_device_that_never_ends_given_as_a_tokenizer_or_config_is_refused_at_the_size_limit_naming_the_file()
    {
        if (!File.Exists("/dev/zero")) return; // not a Unix machine
        var clock = Stopwatch.StartNew();
        ((Action)(() => BertConfig.FromJsonFile("/dev/zero"))).Should().Throw<InvalidDataException>().WithMessage("*'/dev/zero'*more than the 67108864 bytes*");
        ((Action)(() => WordPieceIndexer.Load("/dev/zero"))).Should().Throw<InvalidDataException>().WithMessage("*'/dev/zero'*more than*");
        ((Action)(() => SentencePieceIndexer.Load("/dev/zero"))).Should().Throw<InvalidDataException>().WithMessage("*'/dev/zero'*more than*");
        ((Action)(() => BertIndexer.Load("/dev/zero"))).Should().Throw<InvalidDataException>().WithMessage("*'/dev/zero'*");
        ((Action)(() => Core.Pretraining.PretrainingCorpus.Load("/dev/zero"))).Should().Throw<InvalidDataException>().WithMessage("*corpus '/dev/zero', line 1: longer than 1048576 characters*");
        ((Action)(() => Bert.Cli.SampleData.AozoraText.Load("/dev/zero"))).Should().Throw<InvalidDataException>().WithMessage("*'/dev/zero'*larger than*");
        // The messages show where each reader stopped; the clock only guards against one that would read on without
        // end. Alone the six take about a second, but the suite runs test classes side by side with libtorch on both
        // cores, where 10 s was once not enough (11.3 s, Intel Xeon VM): a generous bound, not a timing.
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(120));
    }

    [SharedFact("fixtures/keras-bert-tiny/bert_config.json")]
    public void A_device_linked_into_a_folder_as_a_side_file_is_refused_at_a_limit_naming_the_file()
    {
        // Campaign findings (seed 202611): these side files were read whole, without a limit (4-8 GB before an
        // OutOfMemoryException or a raw ArgumentOutOfRangeException): TensorFlow's 'checkpoint' state file, MeCab's
        // dicrc, a tokenizer_config.json read by BertJapaneseConfig.
        if (!File.Exists("/dev/zero")) return;
        using var dir = new TempDir();
        var clock = Stopwatch.StartNew();
        string tf = Directory.CreateDirectory(Path.Combine(dir.Path, "tf")).FullName;
        foreach (var f in Directory.GetFiles(SharedData.PathOf("fixtures/keras-bert-tiny")))
            File.Copy(f, Path.Combine(tf, Path.GetFileName(f)));
        File.CreateSymbolicLink(Path.Combine(tf, "checkpoint"), "/dev/zero");
        ((Action)(() => TensorFlowCheckpointReader.Open(tf).Dispose())).Should().Throw<InvalidDataException>()
            .WithMessage($"*checkpoint state '{Path.Combine(tf, "checkpoint")}', line 1: longer than 65536 characters*");

        string dic = Directory.CreateDirectory(Path.Combine(dir.Path, "dic")).FullName;
        File.CreateSymbolicLink(Path.Combine(dic, "dicrc"), "/dev/zero");
        ((Action)(() => Bert.Tokenization.MeCab.MeCabTagger.Load(dic))).Should().Throw<InvalidDataException>().WithMessage("*dicrc', line 1: longer than*");

        string japanese = Directory.CreateDirectory(Path.Combine(dir.Path, "ja")).FullName;
        File.CreateSymbolicLink(Path.Combine(japanese, "tokenizer_config.json"), "/dev/zero");
        ((Action)(() => BertJapaneseConfig.IsMeCab(japanese))).Should().Throw<InvalidDataException>().WithMessage("*tokenizer_config.json' holds more than*");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(120));    // a hang guard, as above
    }

    [Theory]
    [InlineData("true", "*tokenizer_config.json': tokenizer_class is true; expected the name of a tokenizer class*")]
    [InlineData("2147483647", "*tokenizer_class is 2147483647*")]
    [InlineData("\"1\"", "*tokenizer_class '1' is not a tokenizer this library reproduces (BertTokenizer, BertTokenizerFast*")]
    [InlineData("\"XLNetTokenizer\"", "*tokenizer_class 'XLNetTokenizer' is not a tokenizer*")]
    [InlineData("\"BertTokenizerFast\"", null)]
    [InlineData("null", null)]
    public void Tokenizer_class_must_name_a_tokenizer_this_library_reproduces(string value, string? message)
    {
        // Campaign finding (seed 202611): any tokenizer_class value, even true or a number, loaded as BERT's WordPiece.
        using var dir = new TempDir();
        File.Copy(Path.Combine(ModelData, "wordpiece", "vocab.txt"), Path.Combine(dir.Path, "vocab.txt"));
        File.WriteAllText(Path.Combine(dir.Path, "tokenizer_config.json"), "{\"do_lower_case\": true, \"tokenizer_class\": " + value + "}");
        var load = () => BertIndexer.Load(dir.Path);
        if (message is null)
            load().Encode("unaffable").InputIds.Should().NotBeEmpty();
        else
            load.Should().Throw<InvalidDataException>().WithMessage(message);
    }

    [Fact]
    public void An_output_folder_behind_a_file_a_device_or_a_dangling_link_is_refused_naming_it()
    {
        // Campaign finding (seed 202611): 'bert train --output' on a device node or a dangling symbolic link said only
        // "Could not find a part of the path '.../training-checkpoint'".
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "file");
        File.WriteAllText(file, "x");
        ((Action)(() => Core.IO.FolderLock.Acquire(Path.Combine(file, "training-checkpoint"), "training").Dispose())).Should().Throw<IOException>()
            .WithMessage($"'{file}' is a file or a device, not a folder: cannot create the folder*");
        string link = Path.Combine(dir.Path, "link");
        File.CreateSymbolicLink(link, Path.Combine(dir.Path, "missing"));
        ((Action)(() => Core.IO.FolderLock.Acquire(Path.Combine(link, "training-checkpoint"), "training").Dispose())).Should().Throw<IOException>()
            .WithMessage($"'{link}' is a symbolic link to '*missing', which is not an existing folder*");
        using (Core.IO.FolderLock.Acquire(Path.Combine(dir.Path, "fine", "nested"), "training")) { } // an ordinary new folder
        Directory.Exists(Path.Combine(dir.Path, "fine", "nested")).Should().BeTrue();
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
