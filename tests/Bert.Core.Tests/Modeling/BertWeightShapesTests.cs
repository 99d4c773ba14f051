using Bert.Core.Modeling;

namespace Bert.Core.Tests.Modeling;

public class BertWeightShapesTests
{
    [Fact]
    public void The_table_is_the_built_models_state_dict_name_for_name_and_shape_for_shape_in_order()
    {
        TorchRuntime.EnsureAvailable();
        var config = new BertConfig { VocabSize = 31, HiddenSize = 8, NumHiddenLayers = 3, NumAttentionHeads = 2, IntermediateSize = 12, MaxPositionEmbeddings = 7, TypeVocabSize = 3 };
        using var model = new BertModel(config);
        var actual = model.state_dict().Select(kv => (kv.Key, string.Join("x", kv.Value.shape))).ToList();
        var table = BertWeightShapes.Of(config).Select(w => (w.Name, string.Join("x", w.Shape))).ToList();
        table.Should().Equal(actual);
        BertWeightShapes.CountParameters(config).Should().Be(BertWeightShapes.Of(config).Sum(w => (double)w.Shape.Aggregate(1L, (a, b) => a * b)));
    }
}
