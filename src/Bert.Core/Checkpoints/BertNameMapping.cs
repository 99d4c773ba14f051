namespace Bert.Core.Checkpoints;

/// <summary>
/// Where a checkpoint weight goes: the parameter name on the other side and whether the matrix must be transposed
/// (TensorFlow dense kernels are (in, out); PyTorch/TorchSharp Linear weights are (out, in)).
/// </summary>
/// <param name="Name">The mapped name (a Hugging Face state-dict key, or a TensorFlow variable name).</param>
/// <param name="Transpose">True for dense kernels, which are stored transposed between the two conventions.</param>
public readonly record struct BertNameMapping(string Name, bool Transpose);
