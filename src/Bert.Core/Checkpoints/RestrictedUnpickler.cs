using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using static TorchSharp.torch;

namespace Bert.Core.Checkpoints;

/// <summary>
/// Reads the <c>data.pkl</c> of a <c>torch.save</c> zip with a safe subset of Python's pickle (protocols 2 to 4): only
/// plain values (None, bools, ints, floats, strings, tuples, lists, dicts), <c>collections.OrderedDict</c>, tensor
/// rebuild functions and <c>torch.*Storage</c> types. Nothing is imported or executed: any other GLOBAL, and any opcode
/// outside the subset, is an <see cref="InvalidDataException"/> naming the file, the opcode and its position.
/// </summary>
/// <remarks>
/// Values come back as <c>null</c>, <see cref="bool"/>, <see cref="long"/>, <see cref="double"/>, <see cref="string"/>,
/// <c>object?[]</c> (tuples), <see cref="List{T}"/> of <c>object?</c> (lists), <see cref="PickleDict"/> (dicts and
/// ordered dicts) and <see cref="PyTorchTensorRecord"/> (tensors, not yet materialised).
/// </remarks>
internal sealed class RestrictedUnpickler
{
    /// <summary>Resolves a persistent id's storage: key, element type and element count.</summary>
    public delegate PyTorchStorageRecord StorageResolver(string key, ScalarType dtype, long numel);

    /// <summary>A dict or OrderedDict in insertion order (a later SETITEM of the same key replaces the value in place).</summary>
    internal sealed class PickleDict
    {
        private readonly Dictionary<object, int> index = [];

        public List<KeyValuePair<object, object?>> Items { get; } = [];

        public void Set(object key, object? value)
        {
            if (index.TryGetValue(key, out int at)) Items[at] = new(key, value);
            else
            {
                index[key] = Items.Count;
                Items.Add(new(key, value));
            }
        }
    }

    /// <summary>The callables and types a pickle may name (anything else is refused at its GLOBAL opcode).</summary>
    private enum Callable { OrderedDict, RebuildTensorV2, RebuildParameter, RebuildParameterWithState, RebuildFromTypeV2, TensorType, ParameterType }

    private sealed record Global(string Module, string Name, Callable? Function, ScalarType? StorageType)
    {
        public override string ToString() => Module + "." + Name;
    }

    private static readonly Dictionary<string, Callable> Functions = new(StringComparer.Ordinal)
    {
        ["collections.OrderedDict"] = Callable.OrderedDict,
        ["torch._utils._rebuild_tensor_v2"] = Callable.RebuildTensorV2,
        ["torch._utils._rebuild_parameter"] = Callable.RebuildParameter,
        ["torch._utils._rebuild_parameter_with_state"] = Callable.RebuildParameterWithState,
        ["torch._tensor._rebuild_from_type_v2"] = Callable.RebuildFromTypeV2,
        ["torch._tensor.Tensor"] = Callable.TensorType,
        ["torch.Tensor"] = Callable.TensorType,
        ["torch.nn.parameter.Parameter"] = Callable.ParameterType,
    };

    /// <summary>The storage types of <c>torch</c>, their element types and sizes (complex and quantized storages are not supported).</summary>
    private static readonly Dictionary<string, (ScalarType DType, int Size)> StorageTypes = new(StringComparer.Ordinal)
    {
        ["DoubleStorage"] = (ScalarType.Float64, 8),
        ["FloatStorage"] = (ScalarType.Float32, 4),
        ["HalfStorage"] = (ScalarType.Float16, 2),
        ["BFloat16Storage"] = (ScalarType.BFloat16, 2),
        ["LongStorage"] = (ScalarType.Int64, 8),
        ["IntStorage"] = (ScalarType.Int32, 4),
        ["ShortStorage"] = (ScalarType.Int16, 2),
        ["CharStorage"] = (ScalarType.Int8, 1),
        ["ByteStorage"] = (ScalarType.Byte, 1),
        ["BoolStorage"] = (ScalarType.Bool, 1),
    };

    /// <summary>The bytes per element of a storage type's element type.</summary>
    internal static long ElementSize(ScalarType dtype) => StorageTypes.Values.First(t => t.DType == dtype).Size;

    /// <summary>Tensors of more dimensions than this are refused (PyTorch itself allows at most 64).</summary>
    private const int MaxDimensions = 64;

    private readonly byte[] data;
    private readonly string source;
    private readonly StorageResolver resolveStorage;
    private readonly List<object?> stack = [];
    private readonly List<int> marks = [];
    private readonly Dictionary<long, object?> memo = [];
    private int position;
    private int opcodeStart;
    private byte opcode;

    private RestrictedUnpickler(byte[] data, string source, StorageResolver resolveStorage)
    {
        this.data = data;
        this.source = source;
        this.resolveStorage = resolveStorage;
    }

    /// <summary>Unpickles <paramref name="data"/> and returns its single top-level value.</summary>
    /// <param name="data">The pickle bytes.</param>
    /// <param name="source">Names the file and entry in messages, e.g. <c>'model.bin' (archive/data.pkl)</c>.</param>
    /// <param name="resolveStorage">Called for each persistent id; validates the storage against the archive.</param>
    /// <exception cref="InvalidDataException">The pickle is malformed or uses anything outside the safe subset.</exception>
    public static object? Load(byte[] data, string source, StorageResolver resolveStorage) =>
        new RestrictedUnpickler(data, source, resolveStorage).Run();

    private object? Run()
    {
        while (true)
        {
            if (position >= data.Length)
                throw Fail("the pickle ends without a STOP opcode (truncated?)");
            opcodeStart = position;
            opcode = data[position++];
            switch (opcode)
            {
                case 0x80: // PROTO
                    byte protocol = ReadByte();
                    if (protocol < 2 || protocol > 5) throw Fail($"pickle protocol {protocol} is not supported (2 to 5)");
                    break;
                case 0x95: // FRAME (protocol 4): a length hint only
                    ReadBytes(8);
                    break;
                case (byte)'}': Push(new PickleDict()); break; // EMPTY_DICT
                case (byte)')': Push(Array.Empty<object?>()); break; // EMPTY_TUPLE
                case (byte)']': Push(new List<object?>()); break; // EMPTY_LIST
                case (byte)'(': marks.Add(stack.Count); break; // MARK
                case (byte)'X': Push(ReadString(ReadLength(4))); break; // BINUNICODE
                case 0x8c: Push(ReadString(ReadByte())); break; // SHORT_BINUNICODE
                case 0x8d: Push(ReadString(ReadLength(8))); break; // BINUNICODE8
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break; // BININT
                case (byte)'K': Push((long)ReadByte()); break; // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break; // BININT2
                case 0x8a: Push(ReadLong1()); break; // LONG1
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break; // BINFLOAT
                case 0x88: Push(true); break; // NEWTRUE
                case 0x89: Push(false); break; // NEWFALSE
                case (byte)'N': Push(null); break; // NONE
                case (byte)'t': Push(PopMark().ToArray()); break; // TUPLE
                case 0x85: Push(new[] { Pop() }); break; // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; } // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; } // TUPLE3
                case (byte)'c': Push(ResolveGlobal(ReadLine(), ReadLine())); break; // GLOBAL
                case 0x93: // STACK_GLOBAL (protocol 4)
                {
                    var name = Pop() as string ?? throw Fail("STACK_GLOBAL needs a string name");
                    var module = Pop() as string ?? throw Fail("STACK_GLOBAL needs a string module");
                    Push(ResolveGlobal(module, name));
                    break;
                }
                case (byte)'Q': Push(PersistentLoad(Pop())); break; // BINPERSID
                case (byte)'R': { var args = Pop(); var function = Pop(); Push(Call(function, args)); break; } // REDUCE
                case (byte)'b': // BUILD: a dict's attributes (a state dict's _metadata) are dropped; nothing else may get state
                    Pop();
                    if (Peek() is not PickleDict) throw Fail($"BUILD sets the state of {Describe(Peek())}, which only a dict may have here");
                    break;
                case (byte)'s': { var value = Pop(); var key = Pop(); SetItem(Peek(), key, value); break; } // SETITEM
                case (byte)'u': // SETITEMS
                {
                    var items = PopMark();
                    if (items.Count % 2 != 0) throw Fail("SETITEMS has an odd number of items");
                    var target = Peek();
                    for (int i = 0; i < items.Count; i += 2) SetItem(target, items[i], items[i + 1]);
                    break;
                }
                case (byte)'a': { var value = Pop(); AsList(Peek()).Add(value); break; } // APPEND
                case (byte)'e': { var items = PopMark(); AsList(Peek()).AddRange(items); break; } // APPENDS
                case (byte)'q': memo[ReadByte()] = Peek(); break; // BINPUT
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))] = Peek(); break; // LONG_BINPUT
                case 0x94: memo[memo.Count] = Peek(); break; // MEMOIZE
                case (byte)'h': Push(Recall(ReadByte())); break; // BINGET
                case (byte)'j': Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))); break; // LONG_BINGET
                case (byte)'.': // STOP
                    if (stack.Count != 1 || marks.Count != 0)
                        throw Fail($"STOP with {stack.Count} values and {marks.Count} marks on the stack (expected one value)");
                    return stack[0];
                default:
                    throw Fail($"opcode 0x{opcode:x2} ({Describe(opcode)}) is not in the safe subset this reader accepts");
            }
        }
    }

    private static string Describe(byte op) => op >= 0x20 && op < 0x7f ? "'" + (char)op + "'" : "binary";

    private InvalidDataException Fail(string what) =>
        new($"{source}: {what} (opcode at byte {opcodeStart.ToString(CultureInfo.InvariantCulture)})");

    private void Push(object? value) => stack.Add(value);

    private object? Pop()
    {
        int floor = marks.Count > 0 ? marks[^1] : 0;
        if (stack.Count <= floor) throw Fail("the pickle pops more values than it pushed");
        var value = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        return value;
    }

    private object? Peek()
    {
        int floor = marks.Count > 0 ? marks[^1] : 0;
        if (stack.Count <= floor) throw Fail("the pickle reads a value from an empty stack");
        return stack[^1];
    }

    private List<object?> PopMark()
    {
        if (marks.Count == 0) throw Fail("no MARK before this opcode");
        int start = marks[^1];
        marks.RemoveAt(marks.Count - 1);
        var items = stack.GetRange(start, stack.Count - start);
        stack.RemoveRange(start, stack.Count - start);
        return items;
    }

    private object? Recall(long key) =>
        memo.TryGetValue(key, out var value) ? value : throw Fail($"memo entry {key} is read before it is written");

    private byte ReadByte()
    {
        if (position >= data.Length) throw Fail("the pickle ends inside an opcode (truncated?)");
        return data[position++];
    }

    private ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count > data.Length - position) throw Fail("the pickle ends inside an opcode (truncated?)");
        var span = data.AsSpan(position, count);
        position += count;
        return span;
    }

    private int ReadLength(int width)
    {
        ulong length = width == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)) : BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8));
        if (length > (ulong)(data.Length - position)) throw Fail($"a {length}-byte string runs past the end of the pickle");
        return (int)length;
    }

    private string ReadString(int length)
    {
        try
        {
            return Strict.GetString(ReadBytes(length));
        }
        catch (DecoderFallbackException ex)
        {
            throw Fail($"a string is not valid UTF-8 ({ex.Message})");
        }
    }

    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

    private string ReadLine()
    {
        int end = Array.IndexOf(data, (byte)'\n', position);
        if (end < 0 || end - position > 256) throw Fail("a GLOBAL name is not terminated by a newline");
        string line = Encoding.ASCII.GetString(data, position, end - position);
        position = end + 1;
        return line;
    }

    private long ReadLong1()
    {
        int length = ReadByte();
        if (length > 8) throw Fail($"a {length}-byte integer is too large");
        var bytes = ReadBytes(length);
        if (length == 0) return 0;
        Span<byte> buffer = stackalloc byte[8];
        bytes.CopyTo(buffer);
        if ((bytes[^1] & 0x80) != 0) buffer[length..].Fill(0xff); // two's complement sign extension
        return BinaryPrimitives.ReadInt64LittleEndian(buffer);
    }

    private Global ResolveGlobal(string module, string name)
    {
        string full = module + "." + name;
        if (Functions.TryGetValue(full, out var function))
            return new Global(module, name, function, null);
        if (module == "torch" && StorageTypes.TryGetValue(name, out var storage))
            return new Global(module, name, null, storage.DType);
        throw Fail($"GLOBAL '{full}' is not allowed: only tensors, torch storages and (Ordered)dicts of them are read, nothing is imported or run");
    }

    private PyTorchStorageRecord PersistentLoad(object? id)
    {
        // ('storage', torch.FloatStorage, key, location, numel)
        if (id is not object?[] { Length: 5 } tuple || tuple[0] is not "storage")
            throw Fail("a persistent id is not ('storage', type, key, location, numel)");
        if (tuple[1] is not Global { StorageType: { } dtype } type)
            throw Fail($"a persistent id names {Describe(tuple[1])} where a torch storage type is expected");
        if (tuple[2] is not string key || key.Length == 0 || key.Contains('/') || key.Contains('\\'))
            throw Fail($"a persistent id of a {type.Name} has an invalid key {Describe(tuple[2])}");
        if (tuple[3] is not string)
            throw Fail($"storage '{key}' has a location that is not a string");
        if (tuple[4] is not long numel || numel < 0)
            throw Fail($"storage '{key}' has an invalid element count {Describe(tuple[4])}");
        return resolveStorage(key, dtype, numel);
    }

    private object? Call(object? function, object? arguments)
    {
        while (true) // a loop, not recursion: nested _rebuild_from_type_v2 calls cannot exhaust the stack
        {
            if (function is not Global { Function: { } callable } global)
                throw Fail($"REDUCE calls {Describe(function)}, which is not callable here");
            if (arguments is not object?[] args)
                throw Fail($"REDUCE of {function} has arguments that are not a tuple");
            switch (callable)
            {
                case Callable.OrderedDict:
                    if (args.Length != 0) throw Fail("collections.OrderedDict is called with arguments (only an empty one is read)");
                    return new PickleDict();
                case Callable.RebuildTensorV2:
                    return RebuildTensor(args);
                case Callable.RebuildParameter or Callable.RebuildParameterWithState:
                    if (args.Length != (callable == Callable.RebuildParameter ? 3 : 4) || args[0] is not PyTorchTensorRecord data)
                        throw Fail($"{global} is called with {args.Length} arguments, not (tensor, requires_grad, hooks{(callable == Callable.RebuildParameter ? "" : ", state")})");
                    return data;
                case Callable.RebuildFromTypeV2:
                    // (func, new_type, args, state): a Tensor or Parameter rebuilt by func(*args); Python attributes in state are dropped.
                    if (args.Length != 4 || args[1] is not Global { Function: Callable.TensorType or Callable.ParameterType })
                        throw Fail($"{global} is called with arguments other than (function, torch.Tensor or Parameter, args, state)");
                    (function, arguments) = (args[0], args[2]);
                    continue;
                default:
                    throw Fail($"{global} is a type, not a function this reader calls");
            }
        }
    }

    private PyTorchTensorRecord RebuildTensor(object?[] args)
    {
        // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        if (args.Length is not (6 or 7))
            throw Fail($"torch._utils._rebuild_tensor_v2 is called with {args.Length} arguments, not 6 or 7");
        if (args[0] is not PyTorchStorageRecord storage)
            throw Fail("torch._utils._rebuild_tensor_v2 is not given a storage");
        if (args[1] is not long offset)
            throw Fail($"a tensor of storage '{storage.Key}' has a storage offset that is not an integer");
        var size = Integers(args[2], "size", storage.Key);
        var stride = Integers(args[3], "stride", storage.Key);
        if (size.Length != stride.Length)
            throw Fail($"a tensor of storage '{storage.Key}' has {size.Length} sizes but {stride.Length} strides");
        return new PyTorchTensorRecord(storage, offset, size, stride);
    }

    private long[] Integers(object? value, string what, string key)
    {
        if (value is not object?[] tuple || tuple.Length > MaxDimensions || tuple.Any(v => v is not long))
            throw Fail($"a tensor of storage '{key}' has a {what} that is not a tuple of at most {MaxDimensions} integers");
        return tuple.Select(v => (long)v!).ToArray();
    }

    private void SetItem(object? target, object? key, object? value)
    {
        if (target is not PickleDict dict) throw Fail($"SETITEM on {Describe(target)}, not a dict");
        if (key is null || key is PickleDict or List<object?>) throw Fail($"a dict key is {Describe(key)}");
        dict.Set(key, value);
    }

    private List<object?> AsList(object? target) =>
        target as List<object?> ?? throw Fail($"APPEND on {Describe(target)}, not a list");

    /// <summary>Describes a value for messages (its kind, and short strings and numbers themselves).</summary>
    internal static string Describe(object? value) => value switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        long l => "the integer " + l.ToString(CultureInfo.InvariantCulture),
        double d => "the float " + d.ToString("R", CultureInfo.InvariantCulture),
        string s => s.Length <= 40 ? $"the string '{s}'" : $"a string of {s.Length} characters",
        object?[] t => $"a tuple of {t.Length} items",
        List<object?> list => $"a list of {list.Count} items",
        PickleDict dict => $"a dict of {dict.Items.Count} entries",
        PyTorchTensorRecord => "a tensor",
        PyTorchStorageRecord => "a storage",
        Global g => $"'{g}'",
        _ => value.GetType().Name,
    };
}
