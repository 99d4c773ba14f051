using System.Text.Json;

namespace Bert.Classification.Tests.Metrics;

/// <summary>Reads the <c>cases</c> of a golden JSON file in TestData/metrics.</summary>
internal static class GoldenFile
{
    public static JsonElement[] Cases(string fileName)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "metrics", fileName);
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone()).ToArray();
    }

    public static TheoryData<string> Names(IEnumerable<JsonElement> cases)
    {
        var data = new TheoryData<string>();
        foreach (var c in cases)
            data.Add(c.GetProperty("name").GetString()!);
        return data;
    }
}
