using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Training;

/// <summary>
/// The one place where training and inference put things on a device: the model is moved there, batches, targets and
/// weights are created or copied there, and snapshots and outputs come back to the CPU. Used by the classification
/// trainer, <c>TextClassifier</c> and the pretrainer. Only the CPU is tested (no CUDA build is available here).
/// </summary>
internal sealed class TrainingDevice
{
    /// <summary>Uses <paramref name="device"/>, or the CPU when it is null.</summary>
    public TrainingDevice(Device? device) => Device = device ?? CPU;

    /// <summary>The device every tensor is created on.</summary>
    public Device Device { get; }

    /// <summary>Moves the model's parameters and buffers to <see cref="Device"/> (no-op on the CPU).</summary>
    public void Place(nn.Module model)
    {
        if (Device.type != DeviceType.CPU)
            model.to(Device);
    }

    /// <summary>The tensor on <see cref="Device"/> (a new handle; callers hold a dispose scope or dispose it).</summary>
    public Tensor To(Tensor value) => value.to(Device);

    /// <summary>A detached copy on the CPU (best-epoch snapshots stay off the accelerator).</summary>
    public static Tensor CpuCopy(Tensor value) => value.detach().to(CPU).clone();

    /// <summary>Values as float32 on the CPU, row-major (bf16/fp16 outputs included).</summary>
    public static float[] ToFloats(Tensor value) => value.to(ScalarType.Float32).cpu().data<float>().ToArray();
}
