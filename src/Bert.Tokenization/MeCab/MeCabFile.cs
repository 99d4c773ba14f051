namespace Bert.Tokenization.MeCab;

/// <summary>Reads the files of a MeCab dictionary folder, with messages that name the file.</summary>
internal static class MeCabFile
{
    /// <summary>The largest compiled dictionary file read (1 GiB; UniDic's sys.dic, the largest common one, is about 500 MB).</summary>
    public const long MaxBytes = 1L << 30;

    /// <summary>The whole file; the machine must be little-endian as the compiled files are.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static byte[] ReadAll(string path)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("MeCab's compiled dictionaries are read on little-endian machines only.");
        if (!File.Exists(path))
            throw new FileNotFoundException($"MeCab dictionary file '{path}' not found (a compiled dictionary folder holds sys.dic, unk.dic, char.bin, matrix.bin and dicrc).", path);
        return BoundedFile.ReadAllBytes(path, MaxBytes, "MeCab dictionary file");
    }
}
