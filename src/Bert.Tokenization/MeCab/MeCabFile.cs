namespace Bert.Tokenization.MeCab;

/// <summary>Reads the files of a MeCab dictionary folder, with messages that name the file.</summary>
internal static class MeCabFile
{
    /// <summary>The whole file; the machine must be little-endian as the compiled files are.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static byte[] ReadAll(string path)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("MeCab's compiled dictionaries are read on little-endian machines only.");
        if (!File.Exists(path))
            throw new FileNotFoundException($"MeCab dictionary file '{path}' not found (a compiled dictionary folder holds sys.dic, unk.dic, char.bin, matrix.bin and dicrc).", path);
        return File.ReadAllBytes(path);
    }
}
