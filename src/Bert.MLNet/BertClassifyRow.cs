namespace Bert.MLNet;

/// <summary>The text column as the mapping reads it (renamed to the user's column by the schema definition).</summary>
internal sealed class BertClassifyInput
{
    public string Text { get; set; } = "";
}

/// <summary>The two columns the transform adds (renamed and sized by the schema definition).</summary>
internal sealed class BertClassifyOutput
{
    public string PredictedLabel { get; set; } = "";

    public float[] Score { get; set; } = [];
}
