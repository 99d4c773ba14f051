using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Utils;

namespace Bert.Core.Modeling;

/// <summary>The activation functions <see cref="BertConfig.HiddenAct"/> names.</summary>
internal static class BertActivation
{
    private static readonly double TanhScale = Math.Sqrt(2.0 / Math.PI);

    /// <summary>The function for a <c>hidden_act</c> name.</summary>
    /// <exception cref="ArgumentException">The name is not supported.</exception>
    public static Func<Tensor, Tensor> For(string name) => name switch
    {
        "gelu" => x => nn.functional.gelu(x),
        "gelu_new" or "gelu_pytorch_tanh" => GeluTanh,
        "relu" => x => nn.functional.relu(x),
        _ => throw new ArgumentException(
            $"hidden_act '{name}' is not supported; use one of {string.Join(", ", BertConfig.SupportedActivations)}", nameof(name)),
    };

    /// <summary>0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), Google's BERT <c>gelu</c> and Hugging Face's <c>gelu_new</c>.</summary>
    private static Tensor GeluTanh(Tensor x)
    {
        using var scope = NewDisposeScope();
        var inner = (x + x.pow(3) * 0.044715) * TanhScale;
        return (x * 0.5 * (inner.tanh() + 1.0)).MoveToOuterDisposeScope();
    }
}
