using System.IO.Compression;
using Bert.Core.Checkpoints;
using Bert.Core.Modeling;
using Bert.Core.Tests.Modeling;
using Bert.Core.Tests.Reliability;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Checkpoints;

/// <summary>
/// PyTorchCheckpointReader against files written by real PyTorch 1.13 (TestData/torchbin/make_torchbin_goldens.py):
/// every tensor must equal, bit for bit, what torch.load returned for it (the *.expected.safetensors).
/// </summary>
public class PyTorchCheckpointReaderTests
{
    private static string TorchBin(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "torchbin", name);

    /// <summary>Asserts same names in the same order, dtypes, shapes and bytes; every tensor contiguous and its own.</summary>
    private static void ShouldEqualBitwise(Dictionary<string, Tensor> actual, Dictionary<string, Tensor> expected)
    {
        actual.Keys.Should().Equal(expected.Keys, "the state dict's order is kept");
        foreach (var (name, want) in expected)
        {
            var got = actual[name];
            got.dtype.Should().Be(want.dtype, name);
            got.shape.Should().Equal(want.shape, name);
            got.is_contiguous().Should().BeTrue(name);
            if (want.numel() > 0)
                got.bytes.ToArray().Should().Equal(want.bytes.ToArray(), $"'{name}' must hold exactly what torch.load read");
        }
    }

    private static void DisposeAll(params Dictionary<string, Tensor>[] states)
    {
        foreach (var state in states)
            foreach (var t in state.Values) t.Dispose();
    }

    [Theory]
    [InlineData("views")]
    [InlineData("dtypes")]
    public void Tensors_saved_by_torch_save_load_bit_for_bit_as_torch_load_reads_them(string name)
    {
        var actual = PyTorchCheckpointReader.Read(TorchBin(name + ".bin"));
        var expected = SafeTensors.Read(TorchBin(name + ".expected.safetensors"));
        using var stream = new MemoryStream(File.ReadAllBytes(TorchBin(name + ".bin")));
        var fromStream = PyTorchCheckpointReader.Read(stream, name + ".bin");
        try
        {
            expected.Should().HaveCountGreaterThan(12);
            ShouldEqualBitwise(actual, expected);
            ShouldEqualBitwise(fromStream, expected);
        }
        finally
        {
            DisposeAll(actual, expected, fromStream);
        }
    }

    [Theory]
    [InlineData("views-protocol4.bin", "views.expected.safetensors")] // FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL
    [InlineData("crafted-tensor-with-state.bin", "crafted-tensor-with-state.expected.safetensors")] // _rebuild_from_type_v2
    public void Other_pickle_protocols_and_rebuild_functions_read_the_same_values(string file, string expectedFile)
    {
        var actual = PyTorchCheckpointReader.Read(TorchBin(file));
        var expected = SafeTensors.Read(TorchBin(expectedFile));
        try
        {
            ShouldEqualBitwise(actual, expected);
        }
        finally
        {
            DisposeAll(actual, expected);
        }
    }

    [Fact]
    public void Entries_that_are_not_tensors_are_left_out_and_reported_skipped()
    {
        var skipped = new List<CheckpointTensorRecord>();
        var actual = PyTorchCheckpointReader.Read(TorchBin("mixed.bin"), skipped);
        var expected = SafeTensors.Read(TorchBin("mixed.expected.safetensors"));
        try
        {
            ShouldEqualBitwise(actual, expected);
            skipped.Select(s => s.ToString()).Should().Equal(
                "epoch [] (not a tensor (the integer 3))",
                "note [] (not a tensor (the string 'hello'))",
                "nested [] (not a tensor (a dict of 1 entries))",
                "lr [] (not a tensor (the float 0.5))");
        }
        finally
        {
            DisposeAll(actual, expected);
        }
    }

    [Fact]
    public void Tensors_that_shared_one_storage_in_the_file_become_independent_copies()
    {
        var state = PyTorchCheckpointReader.Read(TorchBin("views.bin"));
        var expected = SafeTensors.Read(TorchBin("views.expected.safetensors"));
        try
        {
            // base, slice_offset, stepped, row, flat_window, offset_transposed and last_element are views of one storage.
            state["row"].fill_(0f);
            state["flat_window"].fill_(0f);
            state["base"].bytes.ToArray().Should().Equal(expected["base"].bytes.ToArray());
            state["slice_offset"].bytes.ToArray().Should().Equal(expected["slice_offset"].bytes.ToArray());
            state["offset_transposed"].bytes.ToArray().Should().Equal(expected["offset_transposed"].bytes.ToArray());
        }
        finally
        {
            DisposeAll(state, expected);
        }
    }

    [Fact]
    public void The_values_agree_with_TorchSharp_PyBridge_on_a_contiguous_file_which_it_reads_and_views_it_refuses()
    {
        string contiguous = Path.Combine(ModelTestData.Variant("gelu_new-bin"), "pytorch_model.bin");
        var ours = PyTorchCheckpointReader.Read(contiguous);
        var theirs = TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(contiguous);
        try
        {
            ours.Keys.Should().BeEquivalentTo(theirs.Keys.Cast<string>());
            foreach (var (name, tensor) in ours)
            {
                var other = (Tensor)theirs[name]!;
                tensor.dtype.Should().Be(other.dtype, name);
                tensor.bytes.ToArray().Should().Equal(other.bytes.ToArray(), name);
            }
        }
        finally
        {
            DisposeAll(ours);
            foreach (var t in theirs.Values.OfType<Tensor>()) t.Dispose();
        }
        // The files of this suite really hold non-contiguous views: the reader this one replaces could not read them.
        ((Action)(() => TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(TorchBin("views.bin")))).Should().Throw<Exception>();
    }

    [Fact]
    public void A_sharded_folder_of_transposed_views_loads_the_same_weights_as_the_safetensors_model()
    {
        string folder = TorchBin("tiny-sharded");
        using var model = new BertModel(BertConfig.FromJsonFile(Path.Combine(folder, "config.json")));
        var report = BertCheckpointLoader.Load(model, folder);
        report.Format.Should().Be("Hugging Face folder (pytorch_model.bin, sharded)");
        report.Loaded.Should().HaveCount(39);
        report.Skipped.Should().ContainSingle().Which.Name.Should().Be("bert.embeddings.position_ids");

        var expected = SafeTensors.Read(Path.Combine(ModelTestData.Variant("gelu_new"), "model.safetensors"));
        var fromIndex = BertCheckpointLoader.ReadStateDict(Path.Combine(folder, "pytorch_model.bin.index.json"));
        try
        {
            var weights = model.state_dict();
            weights.Keys.Should().BeEquivalentTo(expected.Keys);
            foreach (var (name, want) in expected)
            {
                weights[name].bytes.ToArray().Should().Equal(want.bytes.ToArray(), name);
                fromIndex[name].bytes.ToArray().Should().Equal(want.bytes.ToArray(), name);
            }
        }
        finally
        {
            DisposeAll(expected, fromIndex);
        }
    }

    [Theory]
    [InlineData("bad-short-storage.bin", "*bad-short-storage.bin*tensor 'w'*storage shorter than its strides require*element 8*6 Float32 elements*")]
    [InlineData("bad-negative-stride.bin", "*bad-negative-stride.bin*tensor 'w'*negative stride*stride [-1]*")]
    [InlineData("bad-huge-expand.bin", "*bad-huge-expand.bin*tensor 'w' repeats its storage into 33554432 elements (stride 0)*")]
    [InlineData("legacy.bin", "*legacy.bin*legacy torch.save format*re-save it with torch>=1.6*")]
    public void Layouts_PyTorch_cannot_read_or_this_reader_will_not_materialise_are_refused_naming_the_file_and_tensor(string file, string message)
    {
        ((Action)(() => PyTorchCheckpointReader.Read(TorchBin(file)))).Should().Throw<InvalidDataException>().WithMessage(message);
    }

    [Fact]
    public void A_pickle_calling_os_system_is_refused_without_running_anything()
    {
        const string marker = "/tmp/bert-torchbin-pwned";
        File.Delete(marker);
        ((Action)(() => PyTorchCheckpointReader.Read(TorchBin("bad-global-os-system.bin"))))
            .Should().Throw<InvalidDataException>()
            .WithMessage("*bad-global-os-system.bin*GLOBAL 'posix.system' is not allowed*");
        File.Exists(marker).Should().BeFalse();
    }

    [Fact]
    public void Truncated_archives_and_missing_or_resized_storage_entries_are_refused()
    {
        using var folder = new TempFolder();
        byte[] original = File.ReadAllBytes(TorchBin("views.bin"));
        foreach (int length in new[] { 0, 10, original.Length / 2, original.Length - 1 })
        {
            string truncated = Path.Combine(folder.Path, $"truncated{length}.bin");
            File.WriteAllBytes(truncated, original[..length]);
            ((Action)(() => PyTorchCheckpointReader.Read(truncated))).Should().Throw<InvalidDataException>()
                .WithMessage($"*truncated{length}.bin*");
        }

        string missing = Path.Combine(folder.Path, "missing.bin");
        File.Copy(TorchBin("views.bin"), missing);
        using (var zip = ZipFile.Open(missing, ZipArchiveMode.Update))
            zip.GetEntry("views/data/0")!.Delete();
        ((Action)(() => PyTorchCheckpointReader.Read(missing))).Should().Throw<InvalidDataException>()
            .WithMessage("*missing.bin*storage '0' has no data entry 'views/data/0'*");

        string resized = Path.Combine(folder.Path, "resized.bin");
        File.Copy(TorchBin("views.bin"), resized);
        using (var zip = ZipFile.Open(resized, ZipArchiveMode.Update))
        {
            zip.GetEntry("views/data/0")!.Delete();
            using var data = zip.CreateEntry("views/data/0", CompressionLevel.NoCompression).Open();
            data.Write(new byte[12]);
        }
        ((Action)(() => PyTorchCheckpointReader.Read(resized))).Should().Throw<InvalidDataException>()
            .WithMessage("*resized.bin*storage '0' declares * Float32 elements (* bytes), but 'views/data/0' holds 12 bytes*");

        ((Action)(() => PyTorchCheckpointReader.Read(Path.Combine(folder.Path, "absent.bin")))).Should().Throw<FileNotFoundException>();
    }
}
