using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Training;

/// <summary>
/// The one place where training and inference put things on a device: the model is moved there, batches, targets and
/// weights are created or copied there, and snapshots and outputs come back to the CPU. Used by the classification
/// trainer and its collator (<c>TextClassifier</c> too), the pretrainer and <see cref="Embeddings.TextEmbedder"/>. Only the
/// CPU is tested (no CUDA build is available here), so keeping this in one place is what lets the CPU tests cover it.
/// </summary>
internal sealed class DevicePlacement
{
    /// <summary>Uses <paramref name="device"/>, or the CPU when it is null.</summary>
    public DevicePlacement(Device? device) => Device = device ?? CPU;

    /// <summary>The device every tensor is created on.</summary>
    public Device Device { get; }

    /// <summary>Moves the model's parameters and buffers to <see cref="Device"/> unless they are all there already.</summary>
    public void Place(nn.Module model)
    {
        if (model.parameters().Any(p => p.device_type != Device.type || (Device.type != DeviceType.CPU && p.device_index != Device.index)))
            model.to(Device);
    }

    /// <summary>The tensor on <see cref="Device"/> (a new handle; callers hold a dispose scope or dispose it).</summary>
    public Tensor To(Tensor value) => value.to(Device);

    /// <summary>A detached copy on the CPU (best-epoch snapshots stay off the accelerator).</summary>
    public static Tensor CpuCopy(Tensor value) => value.detach().to(CPU).clone();

    /// <summary>Values as float32 on the CPU, row-major (bf16/fp16 outputs included).</summary>
    public static float[] ToFloats(Tensor value) => value.to(ScalarType.Float32).cpu().data<float>().ToArray();
}
