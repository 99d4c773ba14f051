namespace Bert.Tokenization;

/// <summary>Whose tokenizer an indexer reproduces where the two references differ.</summary>
public enum TokenizerSemantics
{
    /// <summary>
    /// Google's <c>tokenization.py</c> <c>FullTokenizer</c> and <c>spm_encode</c> (the default): special tokens written in
    /// a text are ordinary text (<c>[MASK]</c> is <c>[</c>, <c>MASK</c>, <c>]</c>); lower-casing is Python's
    /// <c>str.lower()</c> (a final capital sigma becomes ς); of the control characters, categories Cc and Cf are dropped.
    /// </summary>
    Reference = 0,

    /// <summary>
    /// Hugging Face transformers' tokenizers (what loading a Hugging Face folder gives): the special tokens and the added
    /// tokens written in a text stay whole; lower-casing is one character at a time (a final capital sigma becomes σ);
    /// every "other" character (categories Cc, Cf, Co, Cn, Cs) is dropped.
    /// </summary>
    HuggingFace = 1,
}
