using Bert.Core.Modeling;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Modeling;

public class BertModelTests(ITestOutputHelper output)
{
    /// <summary>Hugging Face transformers' BertModel(config with 2 layers).state_dict().keys(), in its order.</summary>
    private static readonly string[] HuggingFaceKeys =
    [
        "embeddings.word_embeddings.weight",
        "embeddings.position_embeddings.weight",
        "embeddings.token_type_embeddings.weight",
        "embeddings.LayerNorm.weight",
        "embeddings.LayerNorm.bias",
        "encoder.layer.0.attention.self.query.weight",
        "encoder.layer.0.attention.self.query.bias",
        "encoder.layer.0.attention.self.key.weight",
        "encoder.layer.0.attention.self.key.bias",
        "encoder.layer.0.attention.self.value.weight",
        "encoder.layer.0.attention.self.value.bias",
        "encoder.layer.0.attention.output.dense.weight",
        "encoder.layer.0.attention.output.dense.bias",
        "encoder.layer.0.attention.output.LayerNorm.weight",
        "encoder.layer.0.attention.output.LayerNorm.bias",
        "encoder.layer.0.intermediate.dense.weight",
        "encoder.layer.0.intermediate.dense.bias",
        "encoder.layer.0.output.dense.weight",
        "encoder.layer.0.output.dense.bias",
        "encoder.layer.0.output.LayerNorm.weight",
        "encoder.layer.0.output.LayerNorm.bias",
        "encoder.layer.1.attention.self.query.weight",
        "encoder.layer.1.attention.self.query.bias",
        "encoder.layer.1.attention.self.key.weight",
        "encoder.layer.1.attention.self.key.bias",
        "encoder.layer.1.attention.self.value.weight",
        "encoder.layer.1.attention.self.value.bias",
        "encoder.layer.1.attention.output.dense.weight",
        "encoder.layer.1.attention.output.dense.bias",
        "encoder.layer.1.attention.output.LayerNorm.weight",
        "encoder.layer.1.attention.output.LayerNorm.bias",
        "encoder.layer.1.intermediate.dense.weight",
        "encoder.layer.1.intermediate.dense.bias",
        "encoder.layer.1.output.dense.weight",
        "encoder.layer.1.output.dense.bias",
        "encoder.layer.1.output.LayerNorm.weight",
        "encoder.layer.1.output.LayerNorm.bias",
        "pooler.dense.weight",
        "pooler.dense.bias",
    ];

    [Fact]
    public void State_dict_keys_equal_Hugging_Face_BertModel_in_order_with_HF_shapes()
    {
        using var model = new BertModel(ModelTestData.TinyConfig());
        var state = model.state_dict();
        state.Keys.Should().Equal(HuggingFaceKeys);
        state["embeddings.word_embeddings.weight"].shape.Should().Equal(30, 8);
        state["embeddings.position_embeddings.weight"].shape.Should().Equal(12, 8);
        state["encoder.layer.0.intermediate.dense.weight"].shape.Should().Equal([16L, 8L], "Linear stores (out, in)");
        state["encoder.layer.1.output.dense.weight"].shape.Should().Equal(8, 16);
        state.Keys.Should().NotContain(k => k.Contains("position_ids"));
    }

    [Fact]
    public void New_weights_follow_BERT_initialisation()
    {
        var config = ModelTestData.TinyConfig();
        config.VocabSize = 4000;
        config.HiddenSize = 64;
        config.InitializerRange = 0.05;
        using var model = new BertModel(config);
        var state = model.state_dict();
        var word = state["embeddings.word_embeddings.weight"];
        word.std().item<float>().Should().BeApproximately(0.05f, 0.002f);
        word.mean().item<float>().Should().BeApproximately(0f, 0.002f);
        state["encoder.layer.0.attention.self.query.weight"].std().item<float>().Should().BeApproximately(0.05f, 0.005f);
        state["encoder.layer.0.attention.self.query.bias"].abs().max().item<float>().Should().Be(0f);
        state["encoder.layer.1.output.LayerNorm.weight"].min().item<float>().Should().Be(1f);
        state["encoder.layer.1.output.LayerNorm.bias"].abs().max().item<float>().Should().Be(0f);
        word[0].abs().sum().item<float>().Should().BeGreaterThan(0f, "id 0 is an ordinary token, not a zeroed padding row");
    }

    [Fact]
    public void Forward_returns_shapes_and_hidden_states_ending_with_the_sequence_output()
    {
        var config = ModelTestData.TinyConfig();
        using var model = new BertModel(config);
        model.eval();
        var (ids, types, mask) = ModelTestData.RandomBatch(config, 3, 7, 1);
        using (ids) using (types) using (mask)
        {
            using var result = model.forward(ids, types, mask, outputHiddenStates: true);
            result.SequenceOutput.shape.Should().Equal(3, 7, 8);
            result.PooledOutput.shape.Should().Equal(3, 8);
            result.HiddenStates.Should().HaveCount(3, "embeddings output + 2 layers");
            result.HiddenStates![^1].data<float>().ToArray().Should().Equal(result.SequenceOutput.data<float>().ToArray());
            using var embedded = model.Embeddings.forward(ids, types);
            result.HiddenStates[0].data<float>().ToArray().Should().Equal(embedded.data<float>().ToArray());
            using var plain = model.forward(ids, types, mask);
            plain.HiddenStates.Should().BeNull();
            plain.SequenceOutput.data<float>().ToArray().Should().Equal(result.SequenceOutput.data<float>().ToArray());
        }
    }

    [Fact]
    public void Eval_mode_has_no_dropout_and_train_mode_has()
    {
        var config = ModelTestData.TinyConfig();
        config.HiddenDropoutProb = 0.3;
        config.AttentionProbsDropoutProb = 0.3;
        using var model = new BertModel(config);
        var (ids, types, mask) = ModelTestData.RandomBatch(config, 2, 6, 2);
        using (ids) using (types) using (mask) using (no_grad())
        {
            model.eval();
            using var a = model.forward(ids, types, mask);
            using var b = model.forward(ids, types, mask);
            a.SequenceOutput.data<float>().ToArray().Should().Equal(b.SequenceOutput.data<float>().ToArray());
            // Same weights with dropout probabilities 0 give the same numbers: eval really means no dropout.
            var noDropout = ModelTestData.TinyConfig();
            noDropout.HiddenDropoutProb = 0;
            noDropout.AttentionProbsDropoutProb = 0;
            using var twin = new BertModel(noDropout);
            twin.load_state_dict(model.state_dict());
            using var c = twin.forward(ids, types, mask); // the twin is in train mode: the explicit attention form, so not bit-identical
            c.SequenceOutput.allclose(a.SequenceOutput, 0, 1e-5).Should().BeTrue();

            model.train();
            using var d = model.forward(ids, types, mask);
            d.SequenceOutput.data<float>().ToArray().Should().NotEqual(a.SequenceOutput.data<float>().ToArray());
        }
    }

    [Theory]
    [InlineData("gelu")]
    [InlineData("gelu_new")]
    [InlineData("relu")]
    public void Eval_forward_without_gradients_overwrites_in_place_and_gives_the_same_bits_as_with_gradients(string activation)
    {
        // Without gradients the activation and the residual add run in place (InferenceInPlace); with gradients
        // (the parameters require them) the out-of-place forms run. Same operations, so the same bits, padding included.
        var config = ModelTestData.TinyConfig();
        config.HiddenAct = activation;
        using var model = new BertModel(config) { PackTokens = true };
        model.eval();
        // The products on MKL both ways: Auto would run inference-only ones on the packed kernel, which rounds
        // differently (PackedLinearTests covers it).
        BertLinear.SetKernel(model, LinearKernel.Gemm);
        using var ids = tensor(new long[,] { { 2, 5, 6, 3, 9, 4, 7, 3 }, { 2, 7, 3, 0, 0, 0, 0, 0 }, { 2, 8, 8, 8, 3, 0, 0, 0 } });
        using var types = zeros(3, 8, ScalarType.Int64);
        using var mask = tensor(new long[,] { { 1, 1, 1, 1, 1, 1, 1, 1 }, { 1, 1, 1, 0, 0, 0, 0, 0 }, { 1, 1, 1, 1, 1, 0, 0, 0 } });
        using var tracked = model.forward(ids, types, mask);
        tracked.SequenceOutput.requires_grad.Should().BeTrue("the parameters require gradients, so this is the out-of-place path");
        using (no_grad())
        {
            using var inPlace = model.forward(ids, types, mask);
            inPlace.SequenceOutput.requires_grad.Should().BeFalse();
            inPlace.SequenceOutput.data<float>().ToArray().Should().Equal(tracked.SequenceOutput.detach().data<float>().ToArray());
            inPlace.PooledOutput.data<float>().ToArray().Should().Equal(tracked.PooledOutput.detach().data<float>().ToArray());
        }
    }

    [Fact]
    public void Training_attention_without_dropout_gives_the_inference_outputs_on_a_padded_batch()
    {
        // Training (and bfloat16) takes the explicit softmax(QK^T/sqrt(d) + mask)V; float32 inference takes
        // scaled_dot_product_attention. With dropout 0 both must give the same numbers, padding included.
        var config = ModelTestData.TinyConfig();
        config.HiddenDropoutProb = 0;
        config.AttentionProbsDropoutProb = 0;
        using var model = new BertModel(config);
        using var ids = tensor(new long[,] { { 2, 5, 6, 3, 9, 4 }, { 2, 7, 3, 0, 0, 0 }, { 2, 8, 8, 8, 3, 0 } });
        using var types = tensor(new long[,] { { 0, 0, 0, 1, 1, 1 }, { 0, 0, 0, 0, 0, 0 }, { 0, 0, 1, 1, 1, 0 } });
        using var mask = tensor(new long[,] { { 1, 1, 1, 1, 1, 1 }, { 1, 1, 1, 0, 0, 0 }, { 1, 1, 1, 1, 1, 0 } });
        using var noGrad = no_grad();
        model.eval();
        using var fused = model.forward(ids, types, mask);
        model.train();
        using var explicitForm = model.forward(ids, types, mask);
        double error = (fused.SequenceOutput - explicitForm.SequenceOutput).abs().max().item<float>();
        output.WriteLine($"max |diff| between the two attention forms: {error:E2}");
        error.Should().BeLessThan(1e-5);
        fused.PooledOutput.allclose(explicitForm.PooledOutput, 0, 1e-5).Should().BeTrue();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_batch_without_padding_runs_without_a_mask_and_gives_what_a_mask_of_zeros_gives(bool training)
    {
        // A contiguous CPU mask of 1s only: the layers get no mask. The same 1s as an expanded (non-contiguous) tensor are
        // not read, so they still build the additive mask of zeros: both must give the same numbers, in the fused
        // (inference) and in the explicit (training) attention.
        var config = ModelTestData.TinyConfig();
        config.HiddenDropoutProb = 0;
        config.AttentionProbsDropoutProb = 0;
        using var model = new BertModel(config);
        model.train(training);
        using var noGrad = no_grad();
        using var ids = tensor(new long[,] { { 2, 5, 6, 3, 9, 4 }, { 2, 7, 3, 8, 8, 3 } });
        using var types = tensor(new long[,] { { 0, 0, 0, 1, 1, 1 }, { 0, 0, 0, 0, 1, 1 } });
        using var contiguousMask = ones(2, 6, ScalarType.Int64);
        using var one = ones(1, 1, ScalarType.Int64);
        using var expandedMask = one.expand(2, 6);
        expandedMask.is_contiguous().Should().BeFalse();
        using var withoutMask = model.forward(ids, types, contiguousMask);
        using var withZeros = model.forward(ids, types, expandedMask);
        double error = (withoutMask.SequenceOutput - withZeros.SequenceOutput).abs().max().item<float>();
        output.WriteLine($"max |diff| without a mask against a mask of zeros: {error:E2}");
        error.Should().BeLessThan(1e-6);
        withoutMask.PooledOutput.allclose(withZeros.PooledOutput, 0, 1e-6).Should().BeTrue();
    }

    [TunedAvx512Fact]
    public void A_sentence_gives_the_same_bits_alone_and_padded_in_a_batch()
    {
        // Every encoder operation sums a token's values the same way whatever the rows around it (the packed products,
        // PackedAttention, LayerNorm by rows), and padded keys weigh exactly 0: a text alone and the same text among
        // others get the same hidden states, to the bit, with and without token packing. (The pooler is libtorch's
        // linear layer, whose sums may depend on the rows: within float32 rounding there.)
        var config = new BertConfig
        {
            VocabSize = 50, HiddenSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 128,
            MaxPositionEmbeddings = 32,
        };
        manual_seed(17);
        using var model = new BertModel(config);
        model.eval();
        using var inference = inference_mode();
        var lengths = new[] { 11, 5, 19 };
        var ids = randint(4, 50, new long[] { 3, 19 }, generator: new Generator(18));
        var types = zeros(3, 19, ScalarType.Int64);
        var mask = zeros(3, 19, ScalarType.Int64);
        for (int b = 0; b < 3; b++) mask[b].slice(0, 0, lengths[b], 1).fill_(1);
        foreach (bool pack in new[] { false, true })
        {
            model.PackTokens = pack;
            using var batch = model.forward(ids, types, mask);
            for (int b = 0; b < 3; b++)
            {
                Tensor Alone(Tensor t) => t.narrow(0, b, 1).narrow(1, 0, lengths[b]);
                using var alone = model.forward(Alone(ids), Alone(types), Alone(mask));
                alone.SequenceOutput.eq(batch.SequenceOutput.narrow(0, b, 1).narrow(1, 0, lengths[b])).all().item<bool>()
                    .Should().BeTrue($"sentence {b} ({lengths[b]} tokens), token packing {pack}");
                alone.PooledOutput.allclose(batch.PooledOutput.narrow(0, b, 1), 0, 1e-6).Should().BeTrue($"sentence {b}'s pooled output");
            }
        }
    }

    [Fact]
    public void Padded_positions_do_not_change_real_positions_and_id_0_is_an_ordinary_token()
    {
        var config = ModelTestData.TinyConfig();
        using var model = new BertModel(config);
        model.eval();
        using var noGrad = no_grad();
        using var mask = tensor(new long[,] { { 1, 1, 1, 1, 0, 0 } });
        using var types = zeros(1, 6, ScalarType.Int64);
        using var ids1 = tensor(new long[,] { { 2, 5, 0, 3, 7, 8 } });
        using var ids2 = tensor(new long[,] { { 2, 5, 0, 3, 0, 0 } });
        using var a = model.forward(ids1, types, mask);
        using var b = model.forward(ids2, types, mask);
        using var realA = a.SequenceOutput.narrow(1, 0, 4);
        using var realB = b.SequenceOutput.narrow(1, 0, 4);
        realA.allclose(realB, 0, 1e-6).Should().BeTrue("padding is defined by the mask, whatever ids sit there");
        a.PooledOutput.allclose(b.PooledOutput, 0, 1e-6).Should().BeTrue();

        // The same ids with a mask that marks the id-0 tail as real tokens must differ: 0 is not padding.
        using var allReal = ones(1, 6, ScalarType.Int64);
        using var c = model.forward(ids2, types, allReal);
        using var realC = c.SequenceOutput.narrow(1, 0, 4);
        realC.allclose(realB, 0, 1e-4).Should().BeFalse();
    }

    [Fact]
    public void A_row_without_real_tokens_gives_finite_outputs_and_leaves_other_rows_alone()
    {
        var config = ModelTestData.TinyConfig();
        using var model = new BertModel(config);
        model.eval();
        using var noGrad = no_grad();
        using var ids = tensor(new long[,] { { 2, 5, 6, 3 }, { 2, 5, 6, 3 } });
        using var types = zeros(2, 4, ScalarType.Int64);
        using var mask = tensor(new long[,] { { 1, 1, 1, 1 }, { 0, 0, 0, 0 } });
        using var result = model.forward(ids, types, mask);
        result.SequenceOutput.isfinite().all().item<bool>().Should().BeTrue();
        result.PooledOutput.isfinite().all().item<bool>().Should().BeTrue();
        using var single = model.forward(ids.narrow(0, 0, 1), types.narrow(0, 0, 1), mask.narrow(0, 0, 1));
        result.SequenceOutput[0].allclose(single.SequenceOutput[0], 0, 1e-6).Should().BeTrue("rows are independent");
    }

    [Theory]
    [InlineData("too-long")]
    [InlineData("id-negative")]
    [InlineData("id-too-big")]
    [InlineData("id-too-big-strided")]
    [InlineData("type-too-big")]
    [InlineData("mask-2")]
    [InlineData("shape-mismatch")]
    [InlineData("int32")]
    [InlineData("1d")]
    [InlineData("empty")]
    public void Bad_inputs_get_an_ArgumentException_that_says_what_is_wrong(string problem)
    {
        var config = ModelTestData.TinyConfig(); // vocab 30, 12 positions, 2 types
        using var model = new BertModel(config);
        long t = problem == "too-long" ? 13 : 4;
        var ids = ones(2, t, ScalarType.Int64);
        var types = zeros(2, t, ScalarType.Int64);
        var mask = ones(2, t, ScalarType.Int64);
        string expected;
        switch (problem)
        {
            case "too-long": expected = "*13*12 positions*"; break;
            case "id-negative": ids[1, 2] = tensor(-1L); expected = "*inputIds*-1*vocab_size*"; break;
            case "id-too-big": ids[0, 3] = tensor(30L); expected = "*inputIds*30*[0, 30)*"; break;
            case "id-too-big-strided": ids = ones(t, 2, ScalarType.Int64).t(); ids[1, 2] = tensor(30L); expected = "*inputIds*30*[0, 30)*"; break;
            case "type-too-big": types[0, 1] = tensor(2L); expected = "*tokenTypeIds*2*type_vocab_size*"; break;
            case "mask-2": mask[0, 0] = tensor(2L); expected = "*attentionMask*"; break;
            case "shape-mismatch": types = zeros(2, 3, ScalarType.Int64); expected = "*tokenTypeIds*[2, 3]*[2, 4]*"; break;
            case "int32": ids = ones(2, 4, ScalarType.Int32); expected = "*inputIds must be int64*Int32*"; break;
            case "1d": ids = ones(4, ScalarType.Int64); expected = "*inputIds must be (B, T)*"; break;
            default: ids = ones(2, 0, ScalarType.Int64); types = zeros(2, 0, ScalarType.Int64); mask = ones(2, 0, ScalarType.Int64); expected = "*empty*"; break;
        }
        using (ids) using (types) using (mask)
        {
            var act = () => model.forward(ids, types, mask);
            act.Should().Throw<ArgumentException>().WithMessage(expected);
        }
    }

    [Fact]
    public void Forward_under_no_grad_is_memory_flat()
    {
        var config = ModelTestData.TinyConfig();
        using var model = new BertModel(config);
        model.eval();
        var (ids, types, mask) = ModelTestData.RandomBatch(config, 4, 12, 3);
        using (ids) using (types) using (mask) using (no_grad())
        {
            for (int i = 0; i < 3; i++) model.forward(ids, types, mask, true).Dispose();
            long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            for (int i = 0; i < 50; i++)
            {
                using var result = model.forward(ids, types, mask, outputHiddenStates: i % 2 == 0);
            }
            long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            output.WriteLine($"live tensors before {before}, after 50 forwards {after}");
            after.Should().Be(before, "every temporary is disposed by the per-forward scopes and outputs by their owner");
        }
    }

    [Fact]
    public void Training_step_gives_gradients_to_every_parameter()
    {
        var config = ModelTestData.TinyConfig();
        using var model = new BertModel(config);
        model.train();
        var (ids, types, mask) = ModelTestData.RandomBatch(config, 2, 5, 4);
        using (ids) using (types) using (mask)
        {
            using var result = model.forward(ids, types, mask);
            using var loss = result.SequenceOutput.pow(2).mean() + result.PooledOutput.sum();
            loss.backward();
        }
        foreach (var (name, parameter) in model.named_parameters())
            parameter.grad.Should().NotBeNull(name);
    }
}
