using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Bert.Core.Modeling;

/// <summary>The activation functions <see cref="BertConfig.HiddenAct"/> names.</summary>
internal static class BertActivation
{
    /// <summary>
    /// The function for a <c>hidden_act</c> name; its second argument asks it to overwrite its input (see
    /// <see cref="InferenceInPlace"/>) instead of returning a new tensor.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not supported.</exception>
    public static Func<Tensor, bool, Tensor> For(string name) => name switch
    {
        "gelu" => (x, inPlace) => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.none, inPlace),
        // libtorch's fused tanh approximation: Google's BERT gelu and Hugging Face's gelu_new, one kernel instead of six.
        "gelu_new" or "gelu_pytorch_tanh" => (x, inPlace) => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh, inPlace),
        "relu" => (x, inPlace) => nn.functional.relu(x, inPlace),
        _ => throw new ArgumentException(
            $"hidden_act '{name}' is not supported; use one of {string.Join(", ", BertConfig.SupportedActivations)}", nameof(name)),
    };
}
