namespace Bert.Core.Checkpoints;

/// <summary>
/// A tensor as <c>torch._utils._rebuild_tensor_v2</c> describes it: a view of <see cref="Storage"/> with as_strided
/// semantics (element <c>[i0, i1, ..]</c> is storage element <c>Offset + i0*Stride[0] + i1*Stride[1] + ..</c>).
/// Nothing is checked against the storage's length yet (that happens when the tensor is materialised and named).
/// </summary>
internal sealed record PyTorchTensorRecord(PyTorchStorageRecord Storage, long Offset, long[] Size, long[] Stride);
