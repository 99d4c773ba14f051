using Bert.Core.Optimization;

namespace Bert.Core.Tests.Optimization;

public class AdamWarmupOptionsTests
{
    [Fact]
    public void Defaults_are_keras_bert_s_except_the_fine_tuning_learning_rate()
    {
        var options = new AdamWarmupOptions();
        options.LearningRate.Should().Be(1e-4);
        options.WarmupSteps.Should().Be(0);
        options.MinLearningRate.Should().Be(0);
        options.Beta1.Should().Be(0.9);
        options.Beta2.Should().Be(0.999);
        options.Epsilon.Should().Be(1e-7);
        options.WeightDecay.Should().Be(0);
        options.WeightDecayExclusions.Should().Equal("bias", "LayerNorm");
        options.Amsgrad.Should().BeFalse();
        options.MaxGradNorm.Should().BeNull();
    }

    [Fact]
    public void The_BERT_preset_excludes_bias_and_LayerNorm() =>
        AdamWarmupOptions.BertNoDecay.Should().Equal("bias", "LayerNorm");

    [Fact]
    public void Decay_steps_must_be_set()
    {
        var act = () => new AdamWarmupOptions().Validate();
        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain("DecaySteps").And.Contain("TrainingSteps.Calculate");
    }

    public static TheoryData<string, Action<AdamWarmupOptions>> InvalidSettings() => new()
    {
        { nameof(AdamWarmupOptions.LearningRate), o => o.LearningRate = 0 },
        { nameof(AdamWarmupOptions.LearningRate), o => o.LearningRate = double.PositiveInfinity },
        { nameof(AdamWarmupOptions.WarmupSteps), o => o.WarmupSteps = -1 },
        { nameof(AdamWarmupOptions.DecaySteps), o => o.DecaySteps = 0 },
        { nameof(AdamWarmupOptions.MinLearningRate), o => o.MinLearningRate = -1e-5 },
        { nameof(AdamWarmupOptions.MinLearningRate), o => o.MinLearningRate = 1 },
        { nameof(AdamWarmupOptions.Beta1), o => o.Beta1 = 1 },
        { nameof(AdamWarmupOptions.Beta2), o => o.Beta2 = -0.1 },
        { nameof(AdamWarmupOptions.Beta2), o => o.Beta2 = double.NaN },
        { nameof(AdamWarmupOptions.Epsilon), o => o.Epsilon = 0 },
        { nameof(AdamWarmupOptions.WeightDecay), o => o.WeightDecay = -0.01 },
        { nameof(AdamWarmupOptions.WeightDecayExclusions), o => o.WeightDecayExclusions = null! },
        { nameof(AdamWarmupOptions.WeightDecayExclusions), o => o.WeightDecayExclusions = new[] { "bias", "" } },
        { nameof(AdamWarmupOptions.MaxGradNorm), o => o.MaxGradNorm = 0 },
        { nameof(AdamWarmupOptions.MaxGradNorm), o => o.MaxGradNorm = double.NaN },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void Validate_names_the_property_that_is_out_of_range(string property, Action<AdamWarmupOptions> change)
    {
        var options = new AdamWarmupOptions { DecaySteps = 100 };
        options.Validate();
        change(options);
        var error = FluentActions.Invoking(options.Validate).Should().Throw<ArgumentException>().Which;
        error.ParamName.Should().Be(property);
        error.Message.Should().StartWith(property);
    }

    [Fact]
    public void Learning_rate_at_uses_the_schedule_with_these_settings() =>
        new AdamWarmupOptions { LearningRate = 1e-4, WarmupSteps = 32, DecaySteps = 320 }.LearningRateAt(33)
            .Should().BeApproximately(8.96875e-5, 1e-18);
}
