using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Bert.Core.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Checkpoints;

public class SafeTensorsTests
{
    private static string DTypesFile => Path.Combine(AppContext.BaseDirectory, "TestData", "model", "dtypes.safetensors");
    private static string DTypesJson => Path.Combine(AppContext.BaseDirectory, "TestData", "model", "dtypes.json");

    [Fact]
    public void Reads_the_file_Python_wrote_with_exact_values_for_every_dtype()
    {
        var tensors = SafeTensors.Read(DTypesFile);
        using var expected = JsonDocument.Parse(File.ReadAllText(DTypesJson));
        try
        {
            tensors.Keys.Should().BeEquivalentTo(["f32", "f16", "bf16", "i64", "i32", "scalar", "empty"]);
            tensors["f32"].dtype.Should().Be(ScalarType.Float32);
            tensors["f16"].dtype.Should().Be(ScalarType.Float16);
            tensors["bf16"].dtype.Should().Be(ScalarType.BFloat16);
            tensors["i64"].dtype.Should().Be(ScalarType.Int64);
            tensors["i32"].dtype.Should().Be(ScalarType.Int32);
            foreach (var property in expected.RootElement.EnumerateObject())
            {
                var tensor = tensors[property.Name];
                tensor.shape.Should().Equal(property.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()), property.Name);
                var values = property.Value.GetProperty("values").EnumerateArray().ToList();
                if (tensor.numel() == 0)
                {
                    values.Should().BeEmpty(); // TorchSharp's data<T>().ToArray() cannot read an empty tensor
                }
                else if (tensor.is_floating_point())
                {
                    using var wide = tensor.to(ScalarType.Float64);
                    wide.data<double>().ToArray().Should().Equal(values.Select(v => v.GetDouble()), property.Name);
                }
                else
                {
                    using var wide = tensor.to(ScalarType.Int64);
                    wide.data<long>().ToArray().Should().Equal(values.Select(v => v.GetInt64()), property.Name);
                }
            }
            SafeTensors.ReadMetadata(DTypesFile)["written_by"].Should().Be("make_model_goldens.py");
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    [Fact]
    public void Writing_what_was_read_reproduces_the_Python_file_byte_for_byte()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "copy.safetensors");
        var names = SafeTensors.ReadHeader(DTypesFile).Select(e => e.Name).ToList();
        var tensors = SafeTensors.Read(DTypesFile);
        try
        {
            SafeTensors.Write(path, names.Select(n => KeyValuePair.Create(n, tensors[n])), SafeTensors.ReadMetadata(DTypesFile));
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        File.ReadAllBytes(path).Should().Equal(File.ReadAllBytes(DTypesFile));
        Directory.GetFiles(folder.Path).Should().ContainSingle("the temporary file was renamed");
    }

    [Fact]
    public void Round_trips_float64_int8_uint8_bool_and_non_contiguous_tensors()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "t.safetensors");
        using var a = arange(12, ScalarType.Float64).reshape(3, 4).t(); // non-contiguous view
        using var b = tensor(new sbyte[] { -128, 0, 127 });
        using var c = tensor(new byte[] { 0, 255 });
        using var d = tensor(new[] { true, false, true });
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b, ["c"] = c, ["d"] = d });
        SafeTensors.ReadMetadata(path)["format"].Should().Be("pt", "Hugging Face transformers requires it");
        var back = SafeTensors.Read(path);
        back["a"].data<double>().ToArray().Should().Equal(a.contiguous().data<double>().ToArray());
        back["a"].shape.Should().Equal(4, 3);
        back["b"].data<sbyte>().ToArray().Should().Equal(-128, 0, 127);
        back["c"].data<byte>().ToArray().Should().Equal(0, 255);
        back["d"].data<bool>().ToArray().Should().Equal(true, false, true);
        foreach (var t in back.Values) t.Dispose();

        // Overwriting an existing file is atomic and leaves no temporary behind.
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["b"] = b });
        SafeTensors.ReadHeader(path).Select(e => e.Name).Should().Equal("b");
        Directory.GetFiles(folder.Path).Should().ContainSingle();
    }

    [Fact]
    public void What_this_library_writes_is_read_identically_by_TorchSharp_PyBridge_independent_reader()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "w.safetensors");
        using var a = randn(5, 3);
        using var b = arange(7, ScalarType.Int64);
        using var c = randn(4).to(ScalarType.Float16);
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["layer.a"] = a, ["b"] = b, ["c"] = c });
        var other = TorchSharp.PyBridge.Safetensors.LoadStateDict(path);
        other.Keys.Should().BeEquivalentTo(["layer.a", "b", "c"]);
        other["layer.a"].data<float>().ToArray().Should().Equal(a.data<float>().ToArray());
        other["b"].data<long>().ToArray().Should().Equal(b.data<long>().ToArray());
        other["c"].dtype.Should().Be(ScalarType.Float16);
        using var c32 = c.to(ScalarType.Float32);
        using var o32 = other["c"].to(ScalarType.Float32);
        o32.data<float>().ToArray().Should().Equal(c32.data<float>().ToArray());
        foreach (var t in other.Values) t.Dispose();
    }

    [Fact]
    public void Write_rejects_duplicate_names()
    {
        using var folder = new TempFolder();
        using var x = zeros(2);
        var act = () => SafeTensors.Write(Path.Combine(folder.Path, "x.safetensors"), [KeyValuePair.Create("x", x), KeyValuePair.Create("x", x)]);
        act.Should().Throw<ArgumentException>().WithMessage("*'x' appears twice*");
        Directory.GetFiles(folder.Path).Should().BeEmpty();
    }

    public static TheoryData<string, string> Corruptions => new()
    {
        { "truncated-data", "*bad.safetensors*'w'*past the 8 data bytes*" },
        { "bad-json", "*bad.safetensors*not valid JSON*" },
        { "huge-header", "*bad.safetensors*header*more than*" },
        { "header-past-end", "*bad.safetensors*header*truncated*" },
        { "size-mismatch", "*bad.safetensors*'w'*F32 [2, 3] = 24 bytes*span 16 bytes*" },
        { "huge-shape", "*bad.safetensors*'w'*too large*" },
        { "unknown-dtype", "*bad.safetensors*'w'*dtype 'F8_E4M3'*" },
        { "overlap", "*bad.safetensors*'v'*overlaps*'w'*" },
        { "negative-offset", "*bad.safetensors*'w'*data_offsets*" },
        { "tiny-file", "*bad.safetensors*shorter than the 8-byte header*" },
        { "not-object", "*bad.safetensors*'w'*not an object*" },
        { "zero-length-between-overlapping", "*bad.safetensors*overlaps*" },
        { "gap", "*bad.safetensors*bytes 8..12 belong to no tensor*'v'*" },
        { "trailing-bytes", "*bad.safetensors*cover 16 data bytes but the file has 20*" },
        { "header-length-short-by-2", "*bad.safetensors*cover 16 data bytes but the file has 18*" },
        { "empty-name", "*bad.safetensors*empty name*" },
        { "no-tensors", "*bad.safetensors*no tensors*" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Malformed_files_raise_InvalidDataException_naming_file_and_tensor(string corruption, string message)
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "bad.safetensors");
        byte[] data = new byte[16];
        string header = corruption switch
        {
            "truncated-data" => """{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""",
            "bad-json" => """{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]""",
            "size-mismatch" => """{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}}""",
            "huge-shape" => """{"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,16]}}""",
            "unknown-dtype" => """{"w":{"dtype":"F8_E4M3","shape":[16],"data_offsets":[0,16]}}""",
            "overlap" => """{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"v":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""",
            "negative-offset" => """{"w":{"dtype":"F32","shape":[4],"data_offsets":[-4,12]}}""",
            "not-object" => """{"w":[1,2]}""",
            // 'z' (empty, at 8) sits between 'w' (0..12) and 'v' (8..16), which overlap: a neighbours-only check misses it.
            "zero-length-between-overlapping" => """{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"z":{"dtype":"F32","shape":[0],"data_offsets":[8,8]},"v":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""",
            "gap" => """{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"v":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}""",
            "empty-name" => """{"":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""",
            "no-tensors" => """{"__metadata__":{"format":"pt"}}  """,
            "header-length-short-by-2" => """{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}  """,
            _ => """{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""",
        };
        if (corruption == "truncated-data") data = new byte[8];
        if (corruption == "trailing-bytes") data = new byte[20];
        if (corruption == "no-tensors") data = [];
        var headerBytes = Encoding.UTF8.GetBytes(header);
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, corruption switch
        {
            "huge-header" => 1UL << 40,
            "header-past-end" => (ulong)headerBytes.Length + 100,
            "header-length-short-by-2" => (ulong)headerBytes.Length - 2, // the two padding spaces become "data"
            _ => (ulong)headerBytes.Length,
        });
        File.WriteAllBytes(path, corruption == "tiny-file" ? [1, 2, 3] : [.. length, .. headerBytes, .. data]);

        var act = () => SafeTensors.Read(path);
        act.Should().Throw<InvalidDataException>().WithMessage(message);
    }

    [Fact]
    public void A_header_of_more_tensors_than_allowed_is_refused_before_any_tensor_is_made()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "many.safetensors");
        var header = Encoding.UTF8.GetBytes("{" + string.Join(",", Enumerable.Range(0, SafeTensors.MaxTensors + 1)
            .Select(i => $"\"t{i}\":{{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}")) + "}");
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        File.WriteAllBytes(path, [.. length, .. header]);
        var act = () => SafeTensors.Read(path);
        act.Should().Throw<InvalidDataException>().WithMessage("*many.safetensors*more than 100000 tensors*");
    }

    [Fact]
    public void A_missing_file_is_FileNotFoundException()
    {
        var act = () => SafeTensors.Read("/nonexistent/model.safetensors");
        act.Should().Throw<FileNotFoundException>().WithMessage("*/nonexistent/model.safetensors*");
    }
}
