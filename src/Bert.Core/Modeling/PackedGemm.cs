using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace Bert.Core.Modeling;

/// <summary>
/// <c>y = x W^T + b</c> for inference on few rows, on weights packed once (<see cref="PackedLinearWeights"/>). With
/// AVX2 and FMA, for each panel of 16 output features, 6 rows at a time accumulate in 12 registers (one broadcast row
/// value times two 8-wide weight vectors per input feature), 3-5 rows left as a block of 4 in 8 (<see cref="Rows4"/>),
/// the last 1-2 one at a time; with AVX-512, three panels at a time, 8 rows in 24 registers
/// (one broadcast row value times one 16-wide vector of each panel), then 4 rows in 12 and the last 1-3 rows as a block
/// of 2 or 4 (see <see cref="TailBlock"/>); where three does not divide the panels, two at a time in 16, 8 and 4 registers.
/// The AVX-512 8-row blocks read their rows from a copy laid out block by block, feature-major (the threads make it at
/// the start of each product), and take the features <see cref="FeatureBlock"/> at a time, going on from the sums they
/// stored. Every row is summed from the bias feature after feature.
/// The panels are claimed by the calling thread's libtorch (OpenMP) threads (<see cref="ProductThreads"/>).
/// </summary>
/// <remarks>
/// Why: libtorch's MKL product repacks the weight on every call and, at the row counts of one sentence or one short
/// batch, splits the work over its OpenMP threads poorly. Measured on a 2-core Zen 3 (AVX2) against
/// <c>torch.nn.functional.linear</c> with MKL's AVX2 kernels, products alone, in one process, alternating: 384→384 on 18 rows (one
/// KNBC sentence) 78 against 53 GFLOP/s on one thread and 155 against 68 on two; on 128 rows (one 128-token sequence)
/// 74 against 74 on one thread and 145-152 against 117-135 on two; on 2048 rows (a batch of 16) MKL is faster (141
/// against 160 on two threads), so <see cref="BertLinear"/> uses this only up to <see cref="BertLinear.PackedMaxRows"/>
/// (on an Intel Xeon with AVX-512, against MKL's AVX-512 kernels, up to <see cref="BertLinear.PackedMaxRowsAvx512"/>).
/// Results are float32-accurate but not bit-identical to MKL's (another summation order).
/// The 4-row block was measured on a 2-core Intel Xeon (family 6, model 207), a small BERT on one sentence, forward
/// passes alternating with and without it in one process: 20 tokens (2 blocks of 8 and 4 rows) 396/429 against 368/396
/// sequences/s on one thread and 566/723 against 524/681 on two; 23 tokens 323/455 against 305/424 and 492/502 against
/// 467/475 (+5-8%).
/// Three panels at a time instead of two (8 loads per 24 FMAs instead of 10 per 16), on the same Xeon: alone, in C with
/// the same loops, one core, alternating, 8×48 against 8×32 ran 114-126 against 104-112 GFLOP/s (medians) at 128 rows
/// and MiniLM's widths. MiniLM at one 128-token sequence, forward passes alternating in one process: 48.0/48.8/47.3/
/// 52.1/50.0 against 46.3/46.8/45.3/50.0/48.2 sequences/s on two threads, 28.1/29.2 against 25.9/27.0 on one (+4-8%); at
/// one 23-token sequence +0.6-1.3%; the small BERT over the KNBC length mix (batch 16, each batch run both ways in turn)
/// -0.1 and +0.2% on two threads (its 16-panel products leave few groups per thread) and +3.5% on one. The last 1-3
/// rows of a product as one block of 2 or 4 rows instead of one even/odd pass over the weights each (small BERT, one
/// sentence, two threads, alternating in one process): 21 tokens (1 row left) 817.8 against 820.2 sequences/s, 22 (2
/// left) 626.4 against 604.2, 23 (3 left) 622.2 against 591.3 (+4-5%); and every row is now summed the same way.
/// The 8-row blocks' feature-major copy of their rows (the eight values of a feature in one 32-byte read instead of one
/// from each of eight rows) with 128 features per pass (a group's weights for them stay in L1 while every block takes
/// them, instead of streaming from L2 for each block), on the same Xeon: in C, one core, 128 rows, alternating, 128-136
/// against 115-123 GFLOP/s (medians; 384→1152, 384→1536 and 1536→384); the copy alone or the passes alone gained
/// little. MiniLM at one 128-token sequence, forward passes alternating in one process: +1.5, -1.0, +2.2, +2.2, +4.9 and
/// +2.3% on two threads, +4.7 and +4.4% on one; the small BERT on one sentence of 24 tokens -0.4 and -0.6%, of 40 tokens
/// +1.1%; over the KNBC length mix (batch 16) +0.1% (small BERT, two threads) and +1.7% (MiniLM, one thread, as the
/// inference streams run). Making the copy on the calling thread alone instead of on all the product's threads (no
/// barrier) was 0.5-4% slower. The last 1-7 rows in the same passes instead of one pass over all the features after
/// them (so they read the weights from L1 too): the small BERT on one sentence of 21-23 tokens +1.2-1.7% on one thread
/// (as concurrent Predict calls run) and +0.0% on two; the KNBC mix at batch 16 on one thread +0.4-0.7%.
/// </remarks>
internal static unsafe class PackedGemm
{
    /// <summary>Output features per panel: two AVX2 vectors.</summary>
    public const int PanelWidth = 16;

    /// <summary>Rows per register block.</summary>
    private const int RowBlock = 6;

    /// <summary>Rows per register block of the AVX-512 kernel.</summary>
    private const int WideRowBlock = 8;

    /// <summary>
    /// Input features per pass of the AVX-512 8-row kernels over a group of panels: three panels' weights for 128
    /// features (24 KiB) stay in a 48 KiB L1 cache while every block of rows takes them.
    /// </summary>
    private const int FeatureBlock = 128;

    /// <summary>Whether this processor runs the kernels (AVX2 and FMA).</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// Whether products started on this thread take three or two panels at a time in the AVX-512 kernels (a product of
    /// one panel takes the AVX2 one): where the processor has AVX-512, unless <see cref="Avx2Only"/> is in effect.
    /// </summary>
    internal static bool UseAvx512 => Avx512F.IsSupported && !avx2Only;

    [ThreadStatic]
    private static bool avx2Only;

    /// <summary>Until disposed, products started on the calling thread run the AVX2 kernel only (for tests on AVX-512 processors).</summary>
    internal static IDisposable Avx2Only()
    {
        bool previous = avx2Only;
        avx2Only = true;
        return new Restore(previous);
    }

    private sealed class Restore(bool previous) : IDisposable
    {
        public void Dispose() => avx2Only = previous;
    }

    /// <summary>
    /// <paramref name="input"/> (..., in), contiguous float32, times the packed weight, plus <paramref name="bias"/>
    /// (out, contiguous float32, or null), into a new (..., out) tensor, on up to <paramref name="threads"/> threads.
    /// </summary>
    public static Tensor Multiply(Tensor input, PackedLinearWeights weight, Tensor? bias, int threads) =>
        MultiplyEach(input, [(weight, bias)], threads)[0];

    /// <summary>
    /// <see cref="Multiply(Tensor, PackedLinearWeights, Tensor?, int)"/>, then <paramref name="residual"/> (contiguous
    /// float32 of the output's shape) added or GELU (<see cref="VectorGelu"/>) applied to each group of panels as soon as
    /// its sums are stored, while they are still in the cache: one pass over the output fewer, and no separate operation.
    /// The sum with the residual is the same as adding it afterwards; GELU gives the same bits with either kernel.
    /// </summary>
    public static Tensor Multiply(Tensor input, PackedLinearWeights weight, Tensor? bias, int threads, Tensor? residual, bool gelu) =>
        MultiplyEach(input, [(weight, bias)], threads, residual, gelu)[0];

    /// <summary>
    /// <see cref="Multiply(Tensor, PackedLinearWeights, Tensor?, int)"/> for several weights of the same input width (a
    /// layer's query, key and value) in one split over the threads: one parallel region instead of one per product, and
    /// the threads go on from one product's panels to the next's instead of waiting for each other at every product's
    /// end. Each result is the same as <see cref="Multiply(Tensor, PackedLinearWeights, Tensor?, int)"/>'s.
    /// </summary>
    public static Tensor[] MultiplyEach(Tensor input, (PackedLinearWeights Weight, Tensor? Bias)[] products, int threads) =>
        MultiplyEach(input, products, threads, null, false);

    private static Tensor[] MultiplyEach(
        Tensor input, (PackedLinearWeights Weight, Tensor? Bias)[] products, int threads, Tensor? residual, bool gelu)
    {
        int inFeatures = products[0].Weight.InFeatures;
        int rows = checked((int)(input.numel() / inFeatures));
        var outputs = new Tensor[products.Length];
        var parts = new Product[products.Length];
        for (int i = 0; i < products.Length; i++)
        {
            var (weight, bias) = products[i];
            if (weight.InFeatures != inFeatures) throw new ArgumentException("every weight must take the same input width", nameof(products));
            var shape = new long[input.dim()];    // size by size: Tensor.shape costs about a microsecond
            for (int d = 0; d < shape.Length - 1; d++) shape[d] = input.size(d);
            shape[^1] = weight.OutFeatures;
            outputs[i] = empty(shape, ScalarType.Float32);
            parts[i] = new Product(
                weight, bias is null ? null : (float*)PackedLinearWeights.Address(bias), (float*)PackedLinearWeights.Address(outputs[i]),
                residual is null ? null : (float*)PackedLinearWeights.Address(residual), gelu);
        }
        if (rows == 0) return outputs;
        var job = new Job((float*)PackedLinearWeights.Address(input), rows, parts);
        ProductThreads.Run(Math.Clamp(threads, 1, job.Groups), job);
        RowBlocks.Release();
        GC.KeepAlive(input);
        GC.KeepAlive(products);
        GC.KeepAlive(residual);
        return outputs;
    }

    /// <summary>
    /// One weight of a <see cref="Job"/>, its bias (or null), its output, and what is done to the output when stored: a
    /// residual of the output's shape added (or null), GELU applied.
    /// </summary>
    private sealed class Product(PackedLinearWeights weight, float* bias, float* y, float* residual, bool gelu)
    {
        public readonly PackedLinearWeights Weight = weight;
        public readonly float* Bias = bias;
        public readonly float* Y = y;
        public readonly float* Residual = residual;
        public readonly bool Gelu = gelu;
    }

    /// <summary>
    /// Products of one input, in groups of panels (of three and two with the AVX-512 kernel, see <see cref="Split"/>, so
    /// no thread splits a kernel's panels) that the threads claim one at a time, product after product, until none is left.
    /// </summary>
    /// <remarks>
    /// Claimed, not dealt out in equal shares: the two vCPUs of a shared VM do not run equally fast, and with equal shares
    /// the faster thread waited for the slower at the end of each product. MiniLM at one 128-token sequence on a 2-core
    /// Intel Xeon (family 6, model 207), forward passes alternating between the two ways in one process: 51.9/51.2/48.4
    /// against 48.4/48.4/47.2 sequences/s. Each panel is summed the same way whichever thread takes it, so results do
    /// not change.
    /// </remarks>
    private sealed class Job : ProductThreads.IJob
    {
        private readonly float* x;
        private readonly int rows;
        private readonly Product[] products;
        private readonly int[] firstGroups;    // the first group of each product, and the total last
        private readonly int[] threes;         // how many of each product's groups, the first ones, have three panels
        private readonly bool wide = UseAvx512;
        private readonly float* blocks;        // the input's blocks of 8 rows, feature-major (PackRows), or null
        private int claimed = -1;

        public Job(float* x, int rows, Product[] products)
        {
            this.x = x;
            this.rows = rows;
            this.products = products;
            if (wide && rows >= WideRowBlock)
                blocks = RowBlocks.Get((long)(rows / WideRowBlock) * WideRowBlock * products[0].Weight.InFeatures);
            firstGroups = new int[products.Length + 1];
            threes = new int[products.Length];
            for (int i = 0; i < products.Length; i++)
            {
                (threes[i], int groups) = Split(PanelCount(products[i]));
                firstGroups[i + 1] = firstGroups[i] + groups;
            }
        }

        /// <summary>
        /// With the AVX-512 kernel, a product's panels in threes, then twos where three does not divide them (16 panels:
        /// four threes and two twos), so no panel is left to the narrower kernel unless the product has one alone;
        /// otherwise one panel per group. The groups depend on the widths alone, not on the threads.
        /// </summary>
        private (int Threes, int Groups) Split(int panels)
        {
            if (!wide) return (0, panels);
            int three = panels % 3 == 1 && panels >= 4 ? (panels - 4) / 3 : panels / 3;
            return (three, three + (panels - 3 * three + 1) / 2);
        }

        public int Groups => firstGroups[^1];

        private static int PanelCount(Product product) => product.Weight.OutFeatures / PanelWidth;

        public void Run(int part, int parts)
        {
            if (blocks != null)
            {
                // Every group of panels reads every row: the threads lay out the row blocks between them, then wait
                // for each other once. (Nothing here throws: a part that left before the barrier would hang the others.)
                int k = products[0].Weight.InFeatures;
                for (int b = part; b < rows / WideRowBlock; b += parts)
                    PackRows(x + (long)b * WideRowBlock * k, k, blocks + (long)b * WideRowBlock * k);
                if (parts > 1) ProductThreads.Barrier();
            }
            int product = 0;
            for (int group; (group = Interlocked.Increment(ref claimed)) < Groups;)
            {
                while (group >= firstGroups[product + 1]) product++;    // claims only rise
                var p = products[product];
                var weight = p.Weight;
                int g = group - firstGroups[product], t = threes[product], size = !wide ? 1 : g < t ? 3 : 2;
                int first = g < t ? 3 * g : 3 * t + size * (g - t), last = Math.Min(PanelCount(p), first + size);
                int k = weight.InFeatures, n = weight.OutFeatures;
                bool epilogue = p.Residual != null || p.Gelu;
                if (wide || !epilogue)
                {
                    Panels(x, blocks, rows, weight.Data, k, n, p.Bias, p.Y, first, last, wide);
                    if (epilogue) Finish(p, 0, rows, n, first, last, wide);
                    continue;
                }
                // The AVX2 kernel takes its panel down all the rows: finish each FinishRows of them while in L1.
                for (int r = 0; r < rows; r += FinishRows)
                {
                    int count = Math.Min(FinishRows, rows - r);
                    Panels(x + (long)r * k, null, count, weight.Data, k, n, p.Bias, p.Y + (long)r * n, first, last, wide);
                    Finish(p, r, count, n, first, last, wide);
                }
            }
        }
    }

    /// <summary>
    /// Rows of the AVX2 kernel's panel between its epilogues (see <see cref="Finish"/>): a multiple of its register block,
    /// so its blocks of rows, and the results, are the same as in one pass down all the rows. A small BERT over the KNBC
    /// length mix (batches of 16, one thread) with AVX2 on an Intel Xeon: +0.7 and +1.1% against one epilogue pass after all the rows.
    /// </summary>
    private const int FinishRows = 8 * RowBlock;

    /// <summary>
    /// The residual added to, or GELU applied to, output panels [<paramref name="first"/>, <paramref name="last"/>) of
    /// <paramref name="rows"/> rows from <paramref name="firstRow"/>: 16 lanes at a time with the AVX-512 kernels
    /// (<paramref name="wide"/>), else 8 (the same bits).
    /// </summary>
    private static void Finish(Product product, int firstRow, int rows, int n, int first, int last, bool wide)
    {
        const int Half = PanelWidth / 2;
        for (int r = firstRow; r < firstRow + rows; r++)
        {
            long start = (long)r * n + first * PanelWidth, end = (long)r * n + last * PanelWidth;
            if (wide)
            {
                for (long c = start; c < end; c += PanelWidth)
                {
                    var v = Vector512.Load(product.Y + c);
                    if (product.Residual != null) v += Vector512.Load(product.Residual + c);
                    if (product.Gelu) v = VectorGelu.Apply(v);
                    v.Store(product.Y + c);
                }
                continue;
            }
            for (long c = start; c < end; c += Half)
            {
                var v = Vector256.Load(product.Y + c);
                if (product.Residual != null) v += Vector256.Load(product.Residual + c);
                if (product.Gelu) v = VectorGelu.Apply(v);
                v.Store(product.Y + c);
            }
        }
    }

    /// <summary>
    /// Output panels [<paramref name="first"/>, <paramref name="last"/>) for all rows: threes, then pairs of panels in the
    /// AVX-512 kernels when <paramref name="wide"/> (<see cref="FeatureBlock"/> features a pass, for the blocks of 8 rows
    /// from their copy in <paramref name="blocks"/> and then for the rows after them from <paramref name="x"/>), single panels in the
    /// AVX2 one. The AVX-512 kernels sum every row the same way (from the bias, feature after feature), so a row's result
    /// does not depend on the rows around it; the AVX2 kernel sums its last 1-2 rows' even and odd features apart.
    /// </summary>
    private static void Panels(float* x, float* blocks, int rows, float* packed, int k, int n, float* bias, float* y, int first, int last, bool wide)
    {
        int fullBlocks = wide ? rows / WideRowBlock : 0;    // with AVX-512, Job laid them out in blocks
        float* zero = stackalloc float[3 * PanelWidth];
        float* scratch = stackalloc float[3 * PanelWidth];
        float** xs = stackalloc float*[TailBlockRows];
        float** ys = stackalloc float*[TailBlockRows];
        long stride = (long)k * PanelWidth;    // from one panel to the next
        int p = first;
        for (int size; wide && (size = Math.Min(last - p, 3)) >= 2; p += size)
        {
            // Three panels, or a pair where three do not divide a product's panels: the same passes, other kernels.
            delegate*<float*, int, float*, long, float*, float*, int, void> rows8 = size == 3 ? &Rows8By48 : &Rows8Wide;
            delegate*<float**, float**, int, int, float*, long, float*, void> rows4 = size == 3 ? &Rows4By48 : &Rows4Wide;
            delegate*<float**, float**, int, int, float*, long, float*, void> rows2 = size == 3 ? &Rows2By48 : &Rows2Wide;
            float* panel = packed + (long)p * k * PanelWidth;
            float* b = bias != null ? bias + p * PanelWidth : zero;
            float* column = y + p * PanelWidth;
            for (int start = 0; start < k; start += FeatureBlock)
            {
                int count = Math.Min(FeatureBlock, k - start);
                float* w = panel + (long)start * PanelWidth, from = start == 0 ? b : null;
                for (int block = 0; block < fullBlocks; block++)
                    rows8(blocks + ((long)block * k + start) * WideRowBlock, count, w, stride, from, column + (long)block * WideRowBlock * n, n);
                for (int r = fullBlocks * WideRowBlock, block; r < rows; r += block)
                {
                    block = TailBlock(x, column, rows, r, k, n, scratch, xs, ys);
                    (block == 2 ? rows2 : rows4)(xs, ys, start, count, w, stride, from);
                }
            }
        }
        for (; p < last; p++)
        {
            float* panel = packed + (long)p * k * PanelWidth;
            float* b = bias != null ? bias + p * PanelWidth : zero;
            float* column = y + p * PanelWidth;
            int r = 0;
            for (; r + RowBlock <= rows; r += RowBlock)
                Rows6(x + (long)r * k, k, panel, b, column + (long)r * n, n);
            for (; rows - r >= 3; r += TailBlockRows)    // 3-5 rows left: a block of 4 (see TailBlock)
            {
                TailBlock(x, column, rows, r, k, n, scratch, xs, ys);
                Rows4(xs, ys, k, panel, b);
            }
            for (; r < rows; r++)
                Row1(x + (long)r * k, k, panel, b, column + (long)r * n);
        }
    }

    /// <summary>
    /// 4 rows × 16 outputs (one panel) in 8 AVX2 registers, for 3 or 4 of the rows left after the blocks of 6 (rows and
    /// outputs given one by one, see <see cref="TailBlock"/>): summed as <see cref="Rows6"/> sums. It takes the weights
    /// once for those rows where <see cref="Row1"/> took them once per row. With AVX-512 turned off for .NET and libtorch
    /// on the Intel Xeon (family 6, model 207; not yet on an AVX2-only processor), the small BERT on one sentence, forward
    /// passes alternating with and without it in one process: 23 tokens (5 left: 4 and 1) +10.4 and +9.0% on one thread
    /// and +5.9% on two, 22 tokens (4 left) +5.4% on two, 21 tokens (3 left) +2.8% on one; the KNBC mix at batch 16 −0.1%.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows4(float** xs, float** ys, int k, float* w, float* bias)
    {
        var c00 = Avx.LoadVector256(bias);
        var c01 = Avx.LoadVector256(bias + 8);
        Vector256<float> c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
        float* x0 = xs[0], x1 = xs[1], x2 = xs[2], x3 = xs[3];
        for (int i = 0; i < k; i++, w += PanelWidth)
        {
            var w0 = Avx.LoadAlignedVector256(w);
            var w1 = Avx.LoadAlignedVector256(w + 8);
            var a = Avx.BroadcastScalarToVector256(x0 + i);
            c00 = Fma.MultiplyAdd(a, w0, c00); c01 = Fma.MultiplyAdd(a, w1, c01);
            a = Avx.BroadcastScalarToVector256(x1 + i);
            c10 = Fma.MultiplyAdd(a, w0, c10); c11 = Fma.MultiplyAdd(a, w1, c11);
            a = Avx.BroadcastScalarToVector256(x2 + i);
            c20 = Fma.MultiplyAdd(a, w0, c20); c21 = Fma.MultiplyAdd(a, w1, c21);
            a = Avx.BroadcastScalarToVector256(x3 + i);
            c30 = Fma.MultiplyAdd(a, w0, c30); c31 = Fma.MultiplyAdd(a, w1, c31);
        }
        Avx.Store(ys[0], c00); Avx.Store(ys[0] + 8, c01);
        Avx.Store(ys[1], c10); Avx.Store(ys[1] + 8, c11);
        Avx.Store(ys[2], c20); Avx.Store(ys[2] + 8, c21);
        Avx.Store(ys[3], c30); Avx.Store(ys[3] + 8, c31);
    }

    /// <summary>Rows per block of the 4-row AVX-512 kernels and of the AVX2 <see cref="Rows4"/>.</summary>
    private const int TailBlockRows = 4;

    /// <summary>
    /// The next block of the rows after the blocks of 8 (AVX2: of 6), from row <paramref name="r"/>: 4 rows, or 2 when only 1 or 2
    /// are left; its rows of <paramref name="x"/> and <paramref name="y"/> go to <paramref name="xs"/> and
    /// <paramref name="ys"/>, and a row past the last one repeats row <paramref name="r"/> and is written to
    /// <paramref name="scratch"/>. So the last 1-3 rows take one block (each weight read once) and are summed as every
    /// other row is, instead of one pass over the weights each. Returns the block's rows.
    /// </summary>
    private static int TailBlock(float* x, float* y, int rows, int r, int k, int n, float* scratch, float** xs, float** ys)
    {
        int block = rows - r <= 2 ? 2 : TailBlockRows;
        for (int j = 0; j < block; j++)
        {
            bool real = r + j < rows;
            xs[j] = x + (long)(real ? r + j : r) * k;
            ys[j] = real ? y + (long)(r + j) * n : scratch;
        }
        return block;
    }

    /// <summary>
    /// 2 rows × 48 outputs (three panels) in 6 registers, for the last 1 or 2 rows (see <see cref="TailBlock"/>): summed as
    /// <see cref="Rows8By48"/> sums. One real row in the 4-row block ran 3.5% slower than the even/odd single-row pass
    /// it replaces (small BERT, 21 tokens); six chains of FMAs take as long per feature as that pass's four.
    /// Takes features <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> − 1 of the rows,
    /// starting from <paramref name="bias"/> or, where it is null, from the sums in the rows of <paramref name="ys"/>, as
    /// the 8-row blocks do in the same pass (so it reads the weights while they are in L1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows2By48(float** xs, float** ys, int start, int count, float* w, long stride, float* bias)
    {
        Vector512<float> c00, c01, c02, c10, c11, c12;
        if (bias != null)
        {
            c00 = Avx512F.LoadVector512(bias);
            c01 = Avx512F.LoadVector512(bias + PanelWidth);
            c02 = Avx512F.LoadVector512(bias + 2 * PanelWidth);
            c10 = c00; c11 = c01; c12 = c02;
        }
        else
        {
            c00 = Avx512F.LoadVector512(ys[0]); c01 = Avx512F.LoadVector512(ys[0] + PanelWidth); c02 = Avx512F.LoadVector512(ys[0] + 2 * PanelWidth);
            c10 = Avx512F.LoadVector512(ys[1]); c11 = Avx512F.LoadVector512(ys[1] + PanelWidth); c12 = Avx512F.LoadVector512(ys[1] + 2 * PanelWidth);
        }
        float* x0 = xs[0] + start, x1 = xs[1] + start;
        for (int i = 0; i < count; i++, w += PanelWidth)
        {
            var w0 = Avx512F.LoadAlignedVector512(w);
            var w1 = Avx512F.LoadAlignedVector512(w + stride);
            var w2 = Avx512F.LoadAlignedVector512(w + 2 * stride);
            var a = Vector512.Create(x0[i]);
            c00 = Avx512F.FusedMultiplyAdd(a, w0, c00); c01 = Avx512F.FusedMultiplyAdd(a, w1, c01); c02 = Avx512F.FusedMultiplyAdd(a, w2, c02);
            a = Vector512.Create(x1[i]);
            c10 = Avx512F.FusedMultiplyAdd(a, w0, c10); c11 = Avx512F.FusedMultiplyAdd(a, w1, c11); c12 = Avx512F.FusedMultiplyAdd(a, w2, c12);
        }
        float* y = ys[0];
        Avx512F.Store(y, c00); Avx512F.Store(y + PanelWidth, c01); Avx512F.Store(y + 2 * PanelWidth, c02);
        y = ys[1];
        Avx512F.Store(y, c10); Avx512F.Store(y + PanelWidth, c11); Avx512F.Store(y + 2 * PanelWidth, c12);
    }

    /// <summary>
    /// 2 rows × 32 outputs (two panels) in 4 registers, for the last 1 or 2 rows: summed as <see cref="Rows8Wide"/> sums;
    /// features and start as in <see cref="Rows2By48"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows2Wide(float** xs, float** ys, int start, int count, float* w, long stride, float* bias)
    {
        float* v = w + stride;    // the second panel
        Vector512<float> c00, c01, c10, c11;
        if (bias != null)
        {
            c00 = Avx512F.LoadVector512(bias);
            c01 = Avx512F.LoadVector512(bias + PanelWidth);
            c10 = c00; c11 = c01;
        }
        else
        {
            c00 = Avx512F.LoadVector512(ys[0]); c01 = Avx512F.LoadVector512(ys[0] + PanelWidth);
            c10 = Avx512F.LoadVector512(ys[1]); c11 = Avx512F.LoadVector512(ys[1] + PanelWidth);
        }
        float* x0 = xs[0] + start, x1 = xs[1] + start;
        for (int i = 0; i < count; i++, w += PanelWidth, v += PanelWidth)
        {
            var w0 = Avx512F.LoadAlignedVector512(w);
            var w1 = Avx512F.LoadAlignedVector512(v);
            var a = Vector512.Create(x0[i]);
            c00 = Avx512F.FusedMultiplyAdd(a, w0, c00); c01 = Avx512F.FusedMultiplyAdd(a, w1, c01);
            a = Vector512.Create(x1[i]);
            c10 = Avx512F.FusedMultiplyAdd(a, w0, c10); c11 = Avx512F.FusedMultiplyAdd(a, w1, c11);
        }
        float* y = ys[0];
        Avx512F.Store(y, c00); Avx512F.Store(y + PanelWidth, c01);
        y = ys[1];
        Avx512F.Store(y, c10); Avx512F.Store(y + PanelWidth, c11);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows6(float* x, int k, float* w, float* bias, float* y, int n)
    {
        var c00 = Avx.LoadVector256(bias);
        var c01 = Avx.LoadVector256(bias + 8);
        Vector256<float> c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01, c40 = c00, c41 = c01, c50 = c00, c51 = c01;
        float* x0 = x, x1 = x + k, x2 = x1 + k, x3 = x2 + k, x4 = x3 + k, x5 = x4 + k;
        for (int i = 0; i < k; i++, w += PanelWidth)
        {
            var w0 = Avx.LoadAlignedVector256(w);
            var w1 = Avx.LoadAlignedVector256(w + 8);
            var a = Avx.BroadcastScalarToVector256(x0 + i);
            c00 = Fma.MultiplyAdd(a, w0, c00); c01 = Fma.MultiplyAdd(a, w1, c01);
            a = Avx.BroadcastScalarToVector256(x1 + i);
            c10 = Fma.MultiplyAdd(a, w0, c10); c11 = Fma.MultiplyAdd(a, w1, c11);
            a = Avx.BroadcastScalarToVector256(x2 + i);
            c20 = Fma.MultiplyAdd(a, w0, c20); c21 = Fma.MultiplyAdd(a, w1, c21);
            a = Avx.BroadcastScalarToVector256(x3 + i);
            c30 = Fma.MultiplyAdd(a, w0, c30); c31 = Fma.MultiplyAdd(a, w1, c31);
            a = Avx.BroadcastScalarToVector256(x4 + i);
            c40 = Fma.MultiplyAdd(a, w0, c40); c41 = Fma.MultiplyAdd(a, w1, c41);
            a = Avx.BroadcastScalarToVector256(x5 + i);
            c50 = Fma.MultiplyAdd(a, w0, c50); c51 = Fma.MultiplyAdd(a, w1, c51);
        }
        Avx.Store(y, c00); Avx.Store(y + 8, c01); y += n;
        Avx.Store(y, c10); Avx.Store(y + 8, c11); y += n;
        Avx.Store(y, c20); Avx.Store(y + 8, c21); y += n;
        Avx.Store(y, c30); Avx.Store(y + 8, c31); y += n;
        Avx.Store(y, c40); Avx.Store(y + 8, c41); y += n;
        Avx.Store(y, c50); Avx.Store(y + 8, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row1(float* x, int k, float* w, float* bias, float* y)
    {
        var c0 = Avx.LoadVector256(bias);
        var c1 = Avx.LoadVector256(bias + 8);
        // Two accumulator pairs over even and odd input features: one pair would wait on the FMA latency.
        Vector256<float> d0 = Vector256<float>.Zero, d1 = Vector256<float>.Zero;
        int i = 0;
        for (; i + 2 <= k; i += 2, w += 2 * PanelWidth)
        {
            var a = Avx.BroadcastScalarToVector256(x + i);
            c0 = Fma.MultiplyAdd(a, Avx.LoadAlignedVector256(w), c0);
            c1 = Fma.MultiplyAdd(a, Avx.LoadAlignedVector256(w + 8), c1);
            a = Avx.BroadcastScalarToVector256(x + i + 1);
            d0 = Fma.MultiplyAdd(a, Avx.LoadAlignedVector256(w + PanelWidth), d0);
            d1 = Fma.MultiplyAdd(a, Avx.LoadAlignedVector256(w + PanelWidth + 8), d1);
        }
        if (i < k)
        {
            var a = Avx.BroadcastScalarToVector256(x + i);
            c0 = Fma.MultiplyAdd(a, Avx.LoadAlignedVector256(w), c0);
            c1 = Fma.MultiplyAdd(a, Avx.LoadAlignedVector256(w + 8), c1);
        }
        Avx.Store(y, Avx.Add(c0, d0));
        Avx.Store(y + 8, Avx.Add(c1, d1));
    }

    /// <summary>
    /// 4 rows × 48 outputs (three panels) in 12 registers, for the rows left after the blocks of 8 (rows and outputs
    /// given one by one, see <see cref="TailBlock"/>): summed as <see cref="Rows8By48"/> sums, so a row's result does not
    /// depend on which of the two takes it; features and start as in <see cref="Rows2By48"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows4By48(float** xs, float** ys, int start, int count, float* w, long stride, float* bias)
    {
        Vector512<float> c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32;
        if (bias != null)
        {
            c00 = Avx512F.LoadVector512(bias);
            c01 = Avx512F.LoadVector512(bias + PanelWidth);
            c02 = Avx512F.LoadVector512(bias + 2 * PanelWidth);
            c10 = c00; c11 = c01; c12 = c02; c20 = c00; c21 = c01; c22 = c02; c30 = c00; c31 = c01; c32 = c02;
        }
        else
        {
            c00 = Avx512F.LoadVector512(ys[0]); c01 = Avx512F.LoadVector512(ys[0] + PanelWidth); c02 = Avx512F.LoadVector512(ys[0] + 2 * PanelWidth);
            c10 = Avx512F.LoadVector512(ys[1]); c11 = Avx512F.LoadVector512(ys[1] + PanelWidth); c12 = Avx512F.LoadVector512(ys[1] + 2 * PanelWidth);
            c20 = Avx512F.LoadVector512(ys[2]); c21 = Avx512F.LoadVector512(ys[2] + PanelWidth); c22 = Avx512F.LoadVector512(ys[2] + 2 * PanelWidth);
            c30 = Avx512F.LoadVector512(ys[3]); c31 = Avx512F.LoadVector512(ys[3] + PanelWidth); c32 = Avx512F.LoadVector512(ys[3] + 2 * PanelWidth);
        }
        float* x0 = xs[0] + start, x1 = xs[1] + start, x2 = xs[2] + start, x3 = xs[3] + start;
        for (int i = 0; i < count; i++, w += PanelWidth)
        {
            var w0 = Avx512F.LoadAlignedVector512(w);
            var w1 = Avx512F.LoadAlignedVector512(w + stride);
            var w2 = Avx512F.LoadAlignedVector512(w + 2 * stride);
            var a = Vector512.Create(x0[i]);
            c00 = Avx512F.FusedMultiplyAdd(a, w0, c00); c01 = Avx512F.FusedMultiplyAdd(a, w1, c01); c02 = Avx512F.FusedMultiplyAdd(a, w2, c02);
            a = Vector512.Create(x1[i]);
            c10 = Avx512F.FusedMultiplyAdd(a, w0, c10); c11 = Avx512F.FusedMultiplyAdd(a, w1, c11); c12 = Avx512F.FusedMultiplyAdd(a, w2, c12);
            a = Vector512.Create(x2[i]);
            c20 = Avx512F.FusedMultiplyAdd(a, w0, c20); c21 = Avx512F.FusedMultiplyAdd(a, w1, c21); c22 = Avx512F.FusedMultiplyAdd(a, w2, c22);
            a = Vector512.Create(x3[i]);
            c30 = Avx512F.FusedMultiplyAdd(a, w0, c30); c31 = Avx512F.FusedMultiplyAdd(a, w1, c31); c32 = Avx512F.FusedMultiplyAdd(a, w2, c32);
        }
        float* y = ys[0];
        Avx512F.Store(y, c00); Avx512F.Store(y + PanelWidth, c01); Avx512F.Store(y + 2 * PanelWidth, c02);
        y = ys[1];
        Avx512F.Store(y, c10); Avx512F.Store(y + PanelWidth, c11); Avx512F.Store(y + 2 * PanelWidth, c12);
        y = ys[2];
        Avx512F.Store(y, c20); Avx512F.Store(y + PanelWidth, c21); Avx512F.Store(y + 2 * PanelWidth, c22);
        y = ys[3];
        Avx512F.Store(y, c30); Avx512F.Store(y + PanelWidth, c31); Avx512F.Store(y + 2 * PanelWidth, c32);
    }

    /// <summary>
    /// 4 rows × 32 outputs (two panels) in 8 registers, for the rows a sentence leaves after its blocks of 8 (rows and
    /// outputs given one by one, see <see cref="TailBlock"/>): summed as <see cref="Rows8Wide"/> sums (from the bias, feature
    /// after feature), so a row's result does not depend on which of the two takes it; features and start as in
    /// <see cref="Rows2By48"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows4Wide(float** xs, float** ys, int start, int count, float* w, long stride, float* bias)
    {
        float* v = w + stride;    // the second panel
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31;
        if (bias != null)
        {
            c00 = Avx512F.LoadVector512(bias);
            c01 = Avx512F.LoadVector512(bias + PanelWidth);
            c10 = c00; c11 = c01; c20 = c00; c21 = c01; c30 = c00; c31 = c01;
        }
        else
        {
            c00 = Avx512F.LoadVector512(ys[0]); c01 = Avx512F.LoadVector512(ys[0] + PanelWidth);
            c10 = Avx512F.LoadVector512(ys[1]); c11 = Avx512F.LoadVector512(ys[1] + PanelWidth);
            c20 = Avx512F.LoadVector512(ys[2]); c21 = Avx512F.LoadVector512(ys[2] + PanelWidth);
            c30 = Avx512F.LoadVector512(ys[3]); c31 = Avx512F.LoadVector512(ys[3] + PanelWidth);
        }
        float* x0 = xs[0] + start, x1 = xs[1] + start, x2 = xs[2] + start, x3 = xs[3] + start;
        for (int i = 0; i < count; i++, w += PanelWidth, v += PanelWidth)
        {
            var w0 = Avx512F.LoadAlignedVector512(w);
            var w1 = Avx512F.LoadAlignedVector512(v);
            var a = Vector512.Create(x0[i]);
            c00 = Avx512F.FusedMultiplyAdd(a, w0, c00); c01 = Avx512F.FusedMultiplyAdd(a, w1, c01);
            a = Vector512.Create(x1[i]);
            c10 = Avx512F.FusedMultiplyAdd(a, w0, c10); c11 = Avx512F.FusedMultiplyAdd(a, w1, c11);
            a = Vector512.Create(x2[i]);
            c20 = Avx512F.FusedMultiplyAdd(a, w0, c20); c21 = Avx512F.FusedMultiplyAdd(a, w1, c21);
            a = Vector512.Create(x3[i]);
            c30 = Avx512F.FusedMultiplyAdd(a, w0, c30); c31 = Avx512F.FusedMultiplyAdd(a, w1, c31);
        }
        float* y = ys[0];
        Avx512F.Store(y, c00); Avx512F.Store(y + PanelWidth, c01);
        y = ys[1];
        Avx512F.Store(y, c10); Avx512F.Store(y + PanelWidth, c11);
        y = ys[2];
        Avx512F.Store(y, c20); Avx512F.Store(y + PanelWidth, c21);
        y = ys[3];
        Avx512F.Store(y, c30); Avx512F.Store(y + PanelWidth, c31);
    }

    /// <summary>
    /// Rows 8 of <paramref name="x"/> (rows of <paramref name="k"/> features) to <paramref name="block"/>, feature-major:
    /// feature i of row j at <c>block[8 i + j]</c>.
    /// </summary>
    private static void PackRows(float* x, int k, float* block)
    {
        float* x0 = x, x1 = x + k, x2 = x1 + k, x3 = x2 + k, x4 = x3 + k, x5 = x4 + k, x6 = x5 + k, x7 = x6 + k;
        int i = 0;
        for (; i + 8 <= k; i += 8)
        {
            var r0 = Avx.LoadVector256(x0 + i); var r1 = Avx.LoadVector256(x1 + i);
            var r2 = Avx.LoadVector256(x2 + i); var r3 = Avx.LoadVector256(x3 + i);
            var r4 = Avx.LoadVector256(x4 + i); var r5 = Avx.LoadVector256(x5 + i);
            var r6 = Avx.LoadVector256(x6 + i); var r7 = Avx.LoadVector256(x7 + i);
            var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
            var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
            var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
            var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
            var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);
            var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
            var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE);
            var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
            float* o = block + (long)i * 8;
            Avx.Store(o, Avx.Permute2x128(s0, s4, 0x20)); Avx.Store(o + 8, Avx.Permute2x128(s1, s5, 0x20));
            Avx.Store(o + 16, Avx.Permute2x128(s2, s6, 0x20)); Avx.Store(o + 24, Avx.Permute2x128(s3, s7, 0x20));
            Avx.Store(o + 32, Avx.Permute2x128(s0, s4, 0x31)); Avx.Store(o + 40, Avx.Permute2x128(s1, s5, 0x31));
            Avx.Store(o + 48, Avx.Permute2x128(s2, s6, 0x31)); Avx.Store(o + 56, Avx.Permute2x128(s3, s7, 0x31));
        }
        for (; i < k; i++)
        {
            float* o = block + (long)i * 8;
            o[0] = x0[i]; o[1] = x1[i]; o[2] = x2[i]; o[3] = x3[i]; o[4] = x4[i]; o[5] = x5[i]; o[6] = x6[i]; o[7] = x7[i];
        }
    }

    /// <summary>
    /// 8 rows × 32 outputs (two adjacent panels) in 16 registers, over <paramref name="count"/> input features of a block
    /// of rows laid out by <see cref="PackRows"/>: per feature two weight loads, eight broadcasts and sixteen FMAs. Starts
    /// from <paramref name="bias"/>, or where it is null from the sums stored in <paramref name="y"/> by the pass over the
    /// features before, and stores once; so every row is summed from the bias feature after feature in any case.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows8Wide(float* x, int count, float* w, long stride, float* bias, float* y, int n)
    {
        float* v = w + stride;    // the second panel
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (bias != null)
        {
            c00 = Avx512F.LoadVector512(bias);
            c01 = Avx512F.LoadVector512(bias + PanelWidth);
            c10 = c00; c11 = c01; c20 = c00; c21 = c01; c30 = c00; c31 = c01;
            c40 = c00; c41 = c01; c50 = c00; c51 = c01; c60 = c00; c61 = c01; c70 = c00; c71 = c01;
        }
        else
        {
            float* s = y;
            c00 = Avx512F.LoadVector512(s); c01 = Avx512F.LoadVector512(s + PanelWidth); s += n;
            c10 = Avx512F.LoadVector512(s); c11 = Avx512F.LoadVector512(s + PanelWidth); s += n;
            c20 = Avx512F.LoadVector512(s); c21 = Avx512F.LoadVector512(s + PanelWidth); s += n;
            c30 = Avx512F.LoadVector512(s); c31 = Avx512F.LoadVector512(s + PanelWidth); s += n;
            c40 = Avx512F.LoadVector512(s); c41 = Avx512F.LoadVector512(s + PanelWidth); s += n;
            c50 = Avx512F.LoadVector512(s); c51 = Avx512F.LoadVector512(s + PanelWidth); s += n;
            c60 = Avx512F.LoadVector512(s); c61 = Avx512F.LoadVector512(s + PanelWidth); s += n;
            c70 = Avx512F.LoadVector512(s); c71 = Avx512F.LoadVector512(s + PanelWidth);
        }
        for (int i = 0; i < count; i++, w += PanelWidth, v += PanelWidth, x += WideRowBlock)
        {
            var w0 = Avx512F.LoadAlignedVector512(w);
            var w1 = Avx512F.LoadAlignedVector512(v);
            var a = Vector512.Create(x[0]);
            c00 = Avx512F.FusedMultiplyAdd(a, w0, c00); c01 = Avx512F.FusedMultiplyAdd(a, w1, c01);
            a = Vector512.Create(x[1]);
            c10 = Avx512F.FusedMultiplyAdd(a, w0, c10); c11 = Avx512F.FusedMultiplyAdd(a, w1, c11);
            a = Vector512.Create(x[2]);
            c20 = Avx512F.FusedMultiplyAdd(a, w0, c20); c21 = Avx512F.FusedMultiplyAdd(a, w1, c21);
            a = Vector512.Create(x[3]);
            c30 = Avx512F.FusedMultiplyAdd(a, w0, c30); c31 = Avx512F.FusedMultiplyAdd(a, w1, c31);
            a = Vector512.Create(x[4]);
            c40 = Avx512F.FusedMultiplyAdd(a, w0, c40); c41 = Avx512F.FusedMultiplyAdd(a, w1, c41);
            a = Vector512.Create(x[5]);
            c50 = Avx512F.FusedMultiplyAdd(a, w0, c50); c51 = Avx512F.FusedMultiplyAdd(a, w1, c51);
            a = Vector512.Create(x[6]);
            c60 = Avx512F.FusedMultiplyAdd(a, w0, c60); c61 = Avx512F.FusedMultiplyAdd(a, w1, c61);
            a = Vector512.Create(x[7]);
            c70 = Avx512F.FusedMultiplyAdd(a, w0, c70); c71 = Avx512F.FusedMultiplyAdd(a, w1, c71);
        }
        Avx512F.Store(y, c00); Avx512F.Store(y + PanelWidth, c01); y += n;
        Avx512F.Store(y, c10); Avx512F.Store(y + PanelWidth, c11); y += n;
        Avx512F.Store(y, c20); Avx512F.Store(y + PanelWidth, c21); y += n;
        Avx512F.Store(y, c30); Avx512F.Store(y + PanelWidth, c31); y += n;
        Avx512F.Store(y, c40); Avx512F.Store(y + PanelWidth, c41); y += n;
        Avx512F.Store(y, c50); Avx512F.Store(y + PanelWidth, c51); y += n;
        Avx512F.Store(y, c60); Avx512F.Store(y + PanelWidth, c61); y += n;
        Avx512F.Store(y, c70); Avx512F.Store(y + PanelWidth, c71);
    }

    /// <summary>
    /// 8 rows × 48 outputs (three adjacent panels) in 24 registers, over <paramref name="count"/> input features of a block
    /// of rows laid out by <see cref="PackRows"/>: per feature three weight loads, eight broadcasts and twenty-four FMAs.
    /// Starts and stores as <see cref="Rows8Wide"/> does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows8By48(float* x, int count, float* w, long stride, float* bias, float* y, int n)
    {
        Vector512<float> c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32;
        Vector512<float> c40, c41, c42, c50, c51, c52, c60, c61, c62, c70, c71, c72;
        if (bias != null)
        {
            c00 = Avx512F.LoadVector512(bias);
            c01 = Avx512F.LoadVector512(bias + PanelWidth);
            c02 = Avx512F.LoadVector512(bias + 2 * PanelWidth);
            c10 = c00; c11 = c01; c12 = c02; c20 = c00; c21 = c01; c22 = c02; c30 = c00; c31 = c01; c32 = c02;
            c40 = c00; c41 = c01; c42 = c02; c50 = c00; c51 = c01; c52 = c02; c60 = c00; c61 = c01; c62 = c02;
            c70 = c00; c71 = c01; c72 = c02;
        }
        else
        {
            float* s = y;
            c00 = Avx512F.LoadVector512(s); c01 = Avx512F.LoadVector512(s + PanelWidth); c02 = Avx512F.LoadVector512(s + 2 * PanelWidth); s += n;
            c10 = Avx512F.LoadVector512(s); c11 = Avx512F.LoadVector512(s + PanelWidth); c12 = Avx512F.LoadVector512(s + 2 * PanelWidth); s += n;
            c20 = Avx512F.LoadVector512(s); c21 = Avx512F.LoadVector512(s + PanelWidth); c22 = Avx512F.LoadVector512(s + 2 * PanelWidth); s += n;
            c30 = Avx512F.LoadVector512(s); c31 = Avx512F.LoadVector512(s + PanelWidth); c32 = Avx512F.LoadVector512(s + 2 * PanelWidth); s += n;
            c40 = Avx512F.LoadVector512(s); c41 = Avx512F.LoadVector512(s + PanelWidth); c42 = Avx512F.LoadVector512(s + 2 * PanelWidth); s += n;
            c50 = Avx512F.LoadVector512(s); c51 = Avx512F.LoadVector512(s + PanelWidth); c52 = Avx512F.LoadVector512(s + 2 * PanelWidth); s += n;
            c60 = Avx512F.LoadVector512(s); c61 = Avx512F.LoadVector512(s + PanelWidth); c62 = Avx512F.LoadVector512(s + 2 * PanelWidth); s += n;
            c70 = Avx512F.LoadVector512(s); c71 = Avx512F.LoadVector512(s + PanelWidth); c72 = Avx512F.LoadVector512(s + 2 * PanelWidth);
        }
        for (int i = 0; i < count; i++, w += PanelWidth, x += WideRowBlock)
        {
            var w0 = Avx512F.LoadAlignedVector512(w);
            var w1 = Avx512F.LoadAlignedVector512(w + stride);
            var w2 = Avx512F.LoadAlignedVector512(w + 2 * stride);
            var a = Vector512.Create(x[0]);
            c00 = Avx512F.FusedMultiplyAdd(a, w0, c00); c01 = Avx512F.FusedMultiplyAdd(a, w1, c01); c02 = Avx512F.FusedMultiplyAdd(a, w2, c02);
            a = Vector512.Create(x[1]);
            c10 = Avx512F.FusedMultiplyAdd(a, w0, c10); c11 = Avx512F.FusedMultiplyAdd(a, w1, c11); c12 = Avx512F.FusedMultiplyAdd(a, w2, c12);
            a = Vector512.Create(x[2]);
            c20 = Avx512F.FusedMultiplyAdd(a, w0, c20); c21 = Avx512F.FusedMultiplyAdd(a, w1, c21); c22 = Avx512F.FusedMultiplyAdd(a, w2, c22);
            a = Vector512.Create(x[3]);
            c30 = Avx512F.FusedMultiplyAdd(a, w0, c30); c31 = Avx512F.FusedMultiplyAdd(a, w1, c31); c32 = Avx512F.FusedMultiplyAdd(a, w2, c32);
            a = Vector512.Create(x[4]);
            c40 = Avx512F.FusedMultiplyAdd(a, w0, c40); c41 = Avx512F.FusedMultiplyAdd(a, w1, c41); c42 = Avx512F.FusedMultiplyAdd(a, w2, c42);
            a = Vector512.Create(x[5]);
            c50 = Avx512F.FusedMultiplyAdd(a, w0, c50); c51 = Avx512F.FusedMultiplyAdd(a, w1, c51); c52 = Avx512F.FusedMultiplyAdd(a, w2, c52);
            a = Vector512.Create(x[6]);
            c60 = Avx512F.FusedMultiplyAdd(a, w0, c60); c61 = Avx512F.FusedMultiplyAdd(a, w1, c61); c62 = Avx512F.FusedMultiplyAdd(a, w2, c62);
            a = Vector512.Create(x[7]);
            c70 = Avx512F.FusedMultiplyAdd(a, w0, c70); c71 = Avx512F.FusedMultiplyAdd(a, w1, c71); c72 = Avx512F.FusedMultiplyAdd(a, w2, c72);
        }
        Avx512F.Store(y, c00); Avx512F.Store(y + PanelWidth, c01); Avx512F.Store(y + 2 * PanelWidth, c02); y += n;
        Avx512F.Store(y, c10); Avx512F.Store(y + PanelWidth, c11); Avx512F.Store(y + 2 * PanelWidth, c12); y += n;
        Avx512F.Store(y, c20); Avx512F.Store(y + PanelWidth, c21); Avx512F.Store(y + 2 * PanelWidth, c22); y += n;
        Avx512F.Store(y, c30); Avx512F.Store(y + PanelWidth, c31); Avx512F.Store(y + 2 * PanelWidth, c32); y += n;
        Avx512F.Store(y, c40); Avx512F.Store(y + PanelWidth, c41); Avx512F.Store(y + 2 * PanelWidth, c42); y += n;
        Avx512F.Store(y, c50); Avx512F.Store(y + PanelWidth, c51); Avx512F.Store(y + 2 * PanelWidth, c52); y += n;
        Avx512F.Store(y, c60); Avx512F.Store(y + PanelWidth, c61); Avx512F.Store(y + 2 * PanelWidth, c62); y += n;
        Avx512F.Store(y, c70); Avx512F.Store(y + PanelWidth, c71); Avx512F.Store(y + 2 * PanelWidth, c72);
    }
}
