using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Bert.Core.Modeling;

/// <summary>The activation functions <see cref="BertConfig.HiddenAct"/> names.</summary>
internal static class BertActivation
{
    /// <summary>The function for a <c>hidden_act</c> name.</summary>
    /// <exception cref="ArgumentException">The name is not supported.</exception>
    public static Func<Tensor, Tensor> For(string name) => name switch
    {
        "gelu" => x => nn.functional.gelu(x),
        // libtorch's fused tanh approximation: Google's BERT gelu and Hugging Face's gelu_new, one kernel instead of six.
        "gelu_new" or "gelu_pytorch_tanh" => x => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh, false),
        "relu" => x => nn.functional.relu(x),
        _ => throw new ArgumentException(
            $"hidden_act '{name}' is not supported; use one of {string.Join(", ", BertConfig.SupportedActivations)}", nameof(name)),
    };
}
