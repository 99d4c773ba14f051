# Regenerate (from the repository root; needs Debian's sentencepiece for spm_encode/spm_export_vocab):
#   /usr/bin/python3 tests/Bert.Tokenization.Tests/TestData/pairs/make_pair_goldens.py
#
# Sentence-pair inputs as Hugging Face builds them with truncation=True (= "longest_first"), for
# BertPairEncodingTests: piece ids from spm_encode with tests/Bert.Tokenization.Tests/TestData/spm/bpe-ja.model,
# then transformers' PreTrainedTokenizerBase.truncate_sequences for TruncationStrategy.LONGEST_FIRST
# (transformers >= 4.27, tokenization_utils_base.py; copied below as `hf_longest_first`), then
# build_inputs_with_special_tokens / create_token_type_ids_from_sequences of BertTokenizer:
# [CLS] a [SEP] b [SEP], token types 0 for "[CLS] a [SEP]" and 1 for "b [SEP]".
# transformers itself is not packaged by Debian, so its two functions are reproduced verbatim in logic.
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "..", "spm", "bpe-ja.model")


def spm_ids(texts):
    out = subprocess.run(["spm_encode", "--model", MODEL, "--output_format=id"], input="\n".join(texts) + "\n",
                         capture_output=True, text=True, check=True).stdout
    return [[int(x) for x in line.split()] for line in out.split("\n")[: len(texts)]]


def vocab():
    out = subprocess.run(["spm_export_vocab", "--model", MODEL], capture_output=True, text=True, check=True).stdout
    return {line.split("\t")[0]: i for i, line in enumerate(out.splitlines())}


def hf_longest_first(ids, pair_ids, num_tokens_to_remove):
    # transformers/tokenization_utils_base.py, truncate_sequences, LONGEST_FIRST with a pair, truncation_side="right".
    if num_tokens_to_remove <= 0:
        return ids, pair_ids
    len_pair_ids = len(pair_ids) if pair_ids is not None else 0
    len_ids = len(ids)
    first_remove = min(abs(len_pair_ids - len_ids), num_tokens_to_remove)
    second_remove = num_tokens_to_remove - first_remove
    if len_ids > len_pair_ids:
        ids_to_move = first_remove + second_remove // 2
        pair_ids_to_move = second_remove - second_remove // 2
    else:
        ids_to_move = second_remove // 2
        pair_ids_to_move = first_remove + second_remove - (second_remove // 2)
    ids = ids[:-ids_to_move] if ids_to_move > 0 else ids
    pair_ids = pair_ids[:-pair_ids_to_move] if pair_ids_to_move > 0 else pair_ids
    return ids, pair_ids


def main():
    v = vocab()
    cls, sep = v["[CLS]"], v["[SEP]"]
    texts = [
        ("京都の紅葉を見に行きました。", "清水寺はとても混んでいた。"),
        ("ラーメン", "昨日の試合で選手が優勝した。サッカーは面白い。"),
        ("携帯電話の電池がすぐに切れてしまうので、新しい機種に買い替えることにしました。", "電池"),
        ("The quick brown fox jumps over the lazy dog.", "A fast brown fox leaps over a sleepy dog."),
        ("同じ長さ", "同じ長さ"),
        ("a", "b"),
    ]
    ids = spm_ids([t for pair in texts for t in pair])
    cases = []
    for k, (a, b) in enumerate(texts):
        ia, ib = ids[2 * k], ids[2 * k + 1]
        for max_length in [3, 4, 5, 6, 7, 8, 10, 12, 16, 20, 32, 64, 128]:
            total = len(ia) + len(ib) + 3
            ta, tb = hf_longest_first(list(ia), list(ib), total - max_length)
            input_ids = [cls] + ta + [sep] + tb + [sep]
            token_types = [0] * (len(ta) + 2) + [1] * (len(tb) + 1)
            cases.append({"text": a, "pair": b, "max_length": max_length, "input_ids": input_ids, "token_type_ids": token_types})
    with open(os.path.join(HERE, "pair_truncation_goldens.json"), "w", encoding="utf-8") as f:
        f.write('{"model": "bpe-ja.model", "cases": [\n')
        f.write(",\n".join(json.dumps(c, ensure_ascii=False) for c in cases))
        f.write("\n]}\n")


if __name__ == "__main__":
    main()
