using System.Text.Json;

namespace Bert.Tokenization.Tests;

/// <summary>
/// <see cref="PythonLowerCase"/> against CPython 3.11's <c>str.lower()</c> (final sigma, İ → i + U+0307) and against
/// Hugging Face's character-by-character lower-casing, on goldens written by Python
/// (<c>TestData/python-lower/make_lower_goldens.py</c>).
/// </summary>
public class PythonLowerCaseTests
{
    public static TheoryData<string, string, string> Rows()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "python-lower", "lower-goldens.json")));
        var rows = new TheoryData<string, string, string>();
        foreach (var row in json.RootElement.GetProperty("rows").EnumerateArray())
            rows.Add(row.GetProperty("text").GetString()!, row.GetProperty("python").GetString()!, row.GetProperty("per_char").GetString()!);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Lower_casing_equals_python_and_hugging_face(string text, string python, string perCharacter)
    {
        PythonLowerCase.Lower(text, finalSigma: true).Should().Be(python);
        PythonLowerCase.Lower(text, finalSigma: false).Should().Be(perCharacter);
    }

    [Fact]
    public void Google_semantics_lower_case_a_final_sigma_and_a_dotted_capital_i_as_tokenization_py()
    {
        // Google's tokenization.py: "ΟΔΟΣ".lower() == "οδος"; "İstanbul".lower() == "i̇stanbul", whose dot is then stripped.
        var lines = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nοδος\nοδοσ\nistanbul\n";
        var indexer = WordPieceIndexer.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(lines)), new WordPieceIndexerOptions { LowerCase = true });
        indexer.TokenizeToPieces("ΟΔΟΣ İstanbul").Should().Equal("οδος", "istanbul");
        var huggingFace = WordPieceIndexer.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(lines)), new WordPieceIndexerOptions { LowerCase = true, Semantics = TokenizerSemantics.HuggingFace });
        huggingFace.TokenizeToPieces("ΟΔΟΣ İstanbul").Should().Equal("οδοσ", "istanbul");

        // tokenization.py cleans before it lower-cases: a control character inside a word is gone by then ("ΟΔ\x01ΟΣ" is
        // "οδος", "ΟΔΟΣ\x01Α" is "οδοσα" with σ not at the end).
        indexer.TokenizeToPieces("ΟΔ\u0001ΟΣ").Should().Equal("οδος");
        indexer.TokenizeToIds("ΟΔΟΣ\u0001Α").Should().Equal(indexer.TokenizeToIds("οδοσα"));

        // Added tokens do not change the reference's lower-casing (nor its keeping special tokens as written).
        var withAdded = WordPieceIndexer.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(lines)),
            new WordPieceIndexerOptions { LowerCase = true, AddedTokens = [new AddedToken("[E1]")] });
        withAdded.TokenizeToPieces("[E1]ΟΔΟΣ [MASK]").Should().Equal("[E1]", "οδος", "[UNK]", "[UNK]", "[UNK]");
    }
}
