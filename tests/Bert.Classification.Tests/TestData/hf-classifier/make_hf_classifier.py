# Regenerate (from the repository root):
#   /usr/bin/python3 tests/Bert.Classification.Tests/TestData/hf-classifier/make_hf_classifier.py
#
# Writes, next to this script, a folder laid out as Hugging Face transformers writes a BertForSequenceClassification
# (save_pretrained of an uncased WordPiece model), made here with PyTorch and no transformers package:
#   uncased/config.json                 id2label (3 labels), problem_type, BERT sizes, architectures
#   uncased/pytorch_model.bin           torch.save of the state dict with transformers' names ("bert." prefix,
#                                       classifier.weight/bias); the query/key weights are saved as TRANSPOSED VIEWS
#                                       (as transformers' TF->PyTorch conversion leaves them) and the value weights in
#                                       Fortran order, so the file holds non-contiguous strides
#   uncased/vocab.txt, tokenizer_config.json (do_lower_case true, model_max_length 24), special_tokens_map.json
#   expected.json                       for each text: the ids of Google's/transformers' BertTokenizer algorithm
#                                       (written out below: clean, CJK split, lower-case + strip accents,
#                                       punctuation split, greedy longest-match WordPiece, truncation) and the logits
#                                       of transformers' BertForSequenceClassification arithmetic in float64
#                                       (the BERT forward of tests/Bert.Core.Tests/TestData/model/make_model_goldens.py).
#
# Check that Python reads a classifier that Bert.NET saved (TextClassifier.Save):
#   /usr/bin/python3 tests/Bert.Classification.Tests/TestData/hf-classifier/make_hf_classifier.py --verify FOLDER
# reads FOLDER's config.json, model.safetensors (independent parser), vocab.txt and tokenizer_config.json, tokenizes
# this script's texts with the algorithm below, and prints one JSON line {"texts": ..., "ids": ..., "logits": ...}.
import json
import os
import sys
import unicodedata

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "Bert.Core.Tests", "TestData", "model"))
from make_model_goldens import random_weights, read_safetensors, reference_forward  # noqa: E402

TEXTS = [
    "Hello WORLD, this is GREAT!",
    "Café déjà vu: naïve résumé.",
    "unaffable unknownword xyzzy",
    "東京は晴れ。京都も晴れ",
    "Tabs\tand\nnewlines  and   spaces",
    "",
    "a very long text " * 10,
    "Mixed: ÀÉÎÕÜ and ß and ﬁ ligature",
]

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "!", ":", "hello", "world", "this", "is", "great",
         "cafe", "deja", "vu", "naive", "resume", "un", "##aff", "##able", "##known", "##word", "x", "##y", "##z",
         "東", "京", "は", "晴", "れ", "。", "都", "も", "tabs", "and", "new", "##lines", "spaces", "a", "very",
         "long", "text", "mixed", "aeiou", "ss", "fi", "lig", "##ature", "##s", "word", "known"]


def is_punct(ch):
    cp = ord(ch)
    if (33 <= cp <= 47) or (58 <= cp <= 64) or (91 <= cp <= 96) or (123 <= cp <= 126):
        return True
    return unicodedata.category(ch).startswith("P")


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def basic_tokens(text, lower, strip_accents, chinese):
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or (unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\t\n\r"):
            continue
        if ch in " \t\n\r" or unicodedata.category(ch) == "Zs":
            out.append(" ")
        elif chinese and is_cjk(cp):
            out.append(" " + ch + " ")
        else:
            out.append(ch)
    words = []
    for token in "".join(out).split():
        if lower:
            token = token.lower()
        if strip_accents:
            token = "".join(c for c in unicodedata.normalize("NFD", token) if unicodedata.category(c) != "Mn")
        current = ""
        for ch in token:
            if is_punct(ch):
                if current:
                    words.append(current)
                words.append(ch)
                current = ""
            else:
                current += ch
        if current:
            words.append(current)
    return words


def wordpiece(word, vocab, unk="[UNK]", max_chars=100):
    if len(word) > max_chars:
        return [unk]
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            sub = word[start:end] if start == 0 else "##" + word[start:end]
            if sub in vocab:
                found = sub
                break
            end -= 1
        if found is None:
            return [unk]
        pieces.append(found)
        start = end
    return pieces


def encode(text, vocab, settings):
    lower = settings.get("do_lower_case", True)
    strip = settings.get("strip_accents")
    strip = lower if strip is None else strip
    pieces = [p for w in basic_tokens(text, lower, strip, settings.get("tokenize_chinese_chars", True)) for p in wordpiece(w, vocab)]
    pieces = pieces[: settings["model_max_length"] - 2]
    return [vocab["[CLS]"]] + [vocab[p] for p in pieces] + [vocab["[SEP]"]]


def logits(weights, cfg, ids_list):
    T = max(len(x) for x in ids_list)
    ids = torch.tensor([x + [0] * (T - len(x)) for x in ids_list])
    mask = torch.tensor([[1] * len(x) + [0] * (T - len(x)) for x in ids_list])
    bert = {k[len("bert."):]: v for k, v in weights.items() if k.startswith("bert.")}
    _, pooled = reference_forward(bert, cfg, ids, torch.zeros_like(ids), mask)
    return pooled @ weights["classifier.weight"].double().T + weights["classifier.bias"].double()


def make():
    folder = os.path.join(HERE, "uncased")
    os.makedirs(folder, exist_ok=True)
    cfg = {"architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": len(VOCAB) + 3,
           "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 32,
           "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
           "max_position_embeddings": 32, "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": 1e-12,
           "id2label": {"0": "negative", "1": "neutral", "2": "positive"},
           "label2id": {"negative": 0, "neutral": 1, "positive": 2}, "problem_type": "single_label_classification"}
    g = torch.Generator().manual_seed(7)
    w = {"bert." + k: v for k, v in random_weights(cfg, g).items()}
    w["classifier.weight"] = torch.randn(3, cfg["hidden_size"], generator=g) * 0.5
    w["classifier.bias"] = torch.randn(3, generator=g) * 0.1
    saved = {}
    for k, v in w.items():
        if k.endswith("attention.self.query.weight") or k.endswith("attention.self.key.weight"):
            saved[k] = v.T.contiguous().T          # same values, transposed strides
            assert not saved[k].is_contiguous()
        elif k.endswith("attention.self.value.weight"):
            saved[k] = torch.from_numpy(v.numpy().copy(order="F"))  # Fortran order
            assert not saved[k].is_contiguous()
        else:
            saved[k] = v
    torch.save(saved, os.path.join(folder, "pytorch_model.bin"))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(VOCAB + ["[unused0]", "[unused1]", "[unused2]"]) + "\n")
    settings = {"tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": 24}
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump(settings, f, indent=2)
    with open(os.path.join(folder, "special_tokens_map.json"), "w") as f:
        json.dump({"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "mask_token": "[MASK]",
                   "unk_token": "[UNK]"}, f, indent=2)
    vocab = {p: i for i, p in enumerate(VOCAB)}
    ids = [encode(t, vocab, settings) for t in TEXTS]
    out = logits(w, cfg, ids)
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump({"texts": TEXTS, "ids": ids, "logits": out.tolist()}, f, indent=1, ensure_ascii=False)


def verify(folder):
    weights, _ = read_safetensors(os.path.join(folder, "model.safetensors"))
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    with open(os.path.join(folder, "tokenizer_config.json"), encoding="utf-8") as f:
        settings = json.load(f)
    with open(os.path.join(folder, "vocab.txt"), encoding="utf-8") as f:
        vocab = {line.rstrip("\n"): i for i, line in enumerate(f)}
    ids = [encode(t, vocab, settings) for t in TEXTS]
    labels = [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))]
    print(json.dumps({"texts": TEXTS, "labels": labels, "ids": ids, "logits": logits(weights, cfg, ids).tolist()}, ensure_ascii=False))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--verify":
        verify(sys.argv[2])
    else:
        make()
