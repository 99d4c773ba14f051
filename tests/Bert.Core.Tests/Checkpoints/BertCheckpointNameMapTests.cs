using Bert.Core.Checkpoints;
using Bert.Tests;

namespace Bert.Core.Tests.Checkpoints;

public class BertCheckpointNameMapTests
{
    // The table of Hugging Face's load_tf_weights_in_bert (modeling_bert.py), written out by hand.
    [Theory]
    [InlineData("bert/embeddings/word_embeddings", "embeddings.word_embeddings.weight", false)]
    [InlineData("bert/embeddings/position_embeddings", "embeddings.position_embeddings.weight", false)]
    [InlineData("bert/embeddings/token_type_embeddings", "embeddings.token_type_embeddings.weight", false)]
    [InlineData("bert/embeddings/LayerNorm/gamma", "embeddings.LayerNorm.weight", false)]
    [InlineData("bert/embeddings/LayerNorm/beta", "embeddings.LayerNorm.bias", false)]
    [InlineData("bert/encoder/layer_3/attention/self/query/kernel", "encoder.layer.3.attention.self.query.weight", true)]
    [InlineData("bert/encoder/layer_3/attention/self/query/bias", "encoder.layer.3.attention.self.query.bias", false)]
    [InlineData("bert/encoder/layer_0/attention/self/key/kernel", "encoder.layer.0.attention.self.key.weight", true)]
    [InlineData("bert/encoder/layer_11/attention/self/value/bias", "encoder.layer.11.attention.self.value.bias", false)]
    [InlineData("bert/encoder/layer_1/attention/output/dense/kernel", "encoder.layer.1.attention.output.dense.weight", true)]
    [InlineData("bert/encoder/layer_1/attention/output/LayerNorm/gamma", "encoder.layer.1.attention.output.LayerNorm.weight", false)]
    [InlineData("bert/encoder/layer_1/attention/output/LayerNorm/beta", "encoder.layer.1.attention.output.LayerNorm.bias", false)]
    [InlineData("bert/encoder/layer_23/intermediate/dense/kernel", "encoder.layer.23.intermediate.dense.weight", true)]
    [InlineData("bert/encoder/layer_23/intermediate/dense/bias", "encoder.layer.23.intermediate.dense.bias", false)]
    [InlineData("bert/encoder/layer_2/output/dense/kernel", "encoder.layer.2.output.dense.weight", true)]
    [InlineData("bert/encoder/layer_2/output/LayerNorm/beta", "encoder.layer.2.output.LayerNorm.bias", false)]
    [InlineData("bert/pooler/dense/kernel", "pooler.dense.weight", true)]
    [InlineData("bert/pooler/dense/bias", "pooler.dense.bias", false)]
    [InlineData("cls/predictions/transform/dense/kernel", "cls.predictions.transform.dense.weight", true)]
    [InlineData("cls/predictions/transform/dense/bias", "cls.predictions.transform.dense.bias", false)]
    [InlineData("cls/predictions/transform/LayerNorm/gamma", "cls.predictions.transform.LayerNorm.weight", false)]
    [InlineData("cls/predictions/transform/LayerNorm/beta", "cls.predictions.transform.LayerNorm.bias", false)]
    [InlineData("cls/predictions/output_bias", "cls.predictions.bias", false)]
    [InlineData("cls/seq_relationship/output_weights", "cls.seq_relationship.weight", false)]
    [InlineData("cls/seq_relationship/output_bias", "cls.seq_relationship.bias", false)]
    [InlineData("output_weights", "classifier.weight", false)]
    [InlineData("output_bias", "classifier.bias", false)]
    public void Maps_TensorFlow_names_to_Hugging_Face_keys_and_back(string tf, string hf, bool transpose)
    {
        BertCheckpointNameMap.FromTensorFlow(tf).Should().Be(new BertNameMapping(hf, transpose));
        BertCheckpointNameMap.ToTensorFlow(hf).Should().Be(tf);
        BertCheckpointNameMap.TryToTensorFlow(hf).Should().Be(new BertNameMapping(tf, transpose));
    }

    [Theory]
    [InlineData("bert/embeddings/word_embeddings/adam_m")]
    [InlineData("bert/encoder/layer_0/attention/self/query/kernel/adam_v")]
    [InlineData("bert/encoder/layer_0/attention/self/query/kernel/Adam")]
    [InlineData("bert/encoder/layer_0/attention/self/query/kernel/Adam_1")]
    [InlineData("bert/pooler/dense/kernel/Momentum")]
    [InlineData("global_step")]
    [InlineData("beta1_power")]
    [InlineData("bert/encoder/layer_0/attention/self/query/weight")]
    [InlineData("bert/encoder/layer_x/attention/self/query/kernel")]
    [InlineData("bert/encoder/layer_01/attention/self/query/kernel")]
    [InlineData("bert/encoder/layer_-1/attention/self/query/kernel")]
    [InlineData("bert/encoder/layer_0/attention/self/query")]
    [InlineData("bert/embeddings/LayerNorm/weight")]
    [InlineData("bert/unknown/thing")]
    [InlineData("")]
    public void Optimizer_slots_and_unknown_names_are_not_weights(string tf)
    {
        BertCheckpointNameMap.FromTensorFlow(tf).Should().BeNull();
    }

    [Fact]
    public void Accepts_the_bert_prefix_of_pretraining_state_dicts_and_rejects_untied_extras()
    {
        BertCheckpointNameMap.ToTensorFlow("bert.encoder.layer.5.output.dense.weight").Should().Be("bert/encoder/layer_5/output/dense/kernel");
        BertCheckpointNameMap.TryToTensorFlow("embeddings.position_ids").Should().BeNull();
        BertCheckpointNameMap.TryToTensorFlow("cls.predictions.decoder.weight").Should().BeNull();
        var act = () => BertCheckpointNameMap.ToTensorFlow("classifier.extra.weight");
        act.Should().Throw<ArgumentException>().WithMessage("*classifier.extra.weight*");
    }

    [Fact]
    public void Lists_every_name_of_a_model_once_and_each_maps_to_a_distinct_key()
    {
        var names = BertCheckpointNameMap.TensorFlowNames(12, pretrainingHeads: true);
        names.Should().HaveCount(5 + 2 + 7 + 12 * 16).And.OnlyHaveUniqueItems();
        names.Select(n => BertCheckpointNameMap.FromTensorFlow(n)!.Value.Name).Should().OnlyHaveUniqueItems();
        BertCheckpointNameMap.TensorFlowNames(12, pretrainingHeads: false).Should().HaveCount(5 + 2 + 12 * 16)
            .And.OnlyContain(n => n.StartsWith("bert/"));
    }

    [SharedFact(TensorFlowTestFiles.Fixture)]
    public void Every_weight_of_the_keras_bert_fixture_maps_and_no_optimizer_slot_does()
    {
        using var reader = TensorFlowCheckpointReader.Open(TensorFlowTestFiles.FixturePrefix);
        var mapped = reader.Tensors.Where(t => BertCheckpointNameMap.FromTensorFlow(t.Name) is not null).ToList();
        var unmapped = reader.Tensors.Except(mapped).Select(t => t.Name).ToList();

        mapped.Should().HaveCount(46);
        unmapped.Should().HaveCount(93).And.OnlyContain(n => n.EndsWith("/adam_m") || n.EndsWith("/adam_v") || n == "global_step");
        foreach (var t in mapped)
        {
            var m = BertCheckpointNameMap.FromTensorFlow(t.Name)!.Value;
            m.Transpose.Should().Be(t.Name.EndsWith("/kernel"), t.Name);
            if (m.Transpose) t.Shape.Should().HaveCount(2, "only matrices are transposed");
            BertCheckpointNameMap.ToTensorFlow(m.Name).Should().Be(t.Name);
        }
        mapped.Select(t => BertCheckpointNameMap.FromTensorFlow(t.Name)!.Value.Name).Should()
            .Contain(["embeddings.word_embeddings.weight", "encoder.layer.1.output.LayerNorm.bias", "pooler.dense.weight",
                "cls.predictions.bias", "cls.seq_relationship.weight"]);
    }
}
