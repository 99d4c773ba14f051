using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Utils;

namespace Bert.Core.Modeling;

/// <summary>
/// BERT's initialisation: Linear and Embedding weights from normal(0, initializer_range), biases zero,
/// LayerNorm weight 1 and bias 0 (Hugging Face <c>BertPreTrainedModel._init_weights</c>, without a padding row).
/// </summary>
internal static class BertWeightInitializer
{
    public static void Apply(nn.Module root, double std, Generator? generator)
    {
        using var noGrad = no_grad();
        foreach (var (_, module) in root.named_modules())
        {
            switch (module)
            {
                case Linear linear:
                    linear.weight!.normal_(0, std, generator);
                    linear.bias?.zero_();
                    break;
                case BertLinear linear:
                    linear.Weight.normal_(0, std, generator);
                    linear.Bias.zero_();
                    break;
                case Embedding embedding:
                    embedding.weight!.normal_(0, std, generator);
                    break;
                case LayerNorm layerNorm:
                    layerNorm.weight?.fill_(1.0);
                    layerNorm.bias?.zero_();
                    break;
            }
        }
    }
}
