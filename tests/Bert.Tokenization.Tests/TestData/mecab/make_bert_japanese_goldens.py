#!/usr/bin/python3
# Regenerates the BertJapaneseTokenizer goldens next to this script:
#   cd tests/Bert.Tokenization.Tests/TestData/mecab && /usr/bin/python3 make_bert_japanese_goldens.py
# Needs Debian's mecab 0.996 with mecab-ipadic-utf8 (the IPADIC of cl-tohoku/bert-base-japanese v1).
# A Python reference of Hugging Face transformers' BertJapaneseTokenizer (tokenization_bert_japanese.py) with
# word_tokenizer_type "mecab", reproduced step by step (transformers and fugashi are not installed here; MeCab is
# the mecab binary itself):
#   PreTrainedTokenizer.tokenize: split the text on the special tokens (longest first); with do_lower_case,
#     lower-case everything but the special tokens;
#   MecabTokenizer.tokenize: NFKC, MeCab surfaces, lower-cased (unless a special token) with do_lower_case;
#   WordpieceTokenizer.tokenize: whitespace split, greedy longest match with '##', words over 100 chars -> [UNK];
#   CharacterTokenizer.tokenize: NFKC, one piece per character, [UNK] when not in the vocabulary;
#   ids: the vocabulary line numbers.
# The vocabulary (bert-japanese/vocab.txt) is built from MeCab words of SAMPLE below: the special tokens, words
# seen twice or more, a 2-character head and a '##' tail of longer words seen once, every character but EXCLUDED
# alone and as '##'; so texts exercise whole words, continuations and [UNK].
# Goldens bert-japanese-{wordpiece,character}{,-lower}.tsv: the input (escaped as make_wakati_goldens.py), the
# pieces joined by spaces, the ids joined by spaces.
import collections, os, subprocess, unicodedata
from make_wakati_goldens import escape

DIC = '/var/lib/mecab/dic/ipadic-utf8'
SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
SAMPLE = '''吾輩は猫である。名前はまだ無い。
どこで生れたかとんと見当がつかぬ。
今日は天気が良いので、公園を散歩しました。
東京都の人口は約千四百万人です。
私は毎朝コーヒーを飲んでから会社に行きます。
この本はとても面白かったので、友達にも勧めました。
日本語の形態素解析には MeCab がよく使われています。
BERT は自然言語処理のモデルです。
京都の紅葉は十一月が見頃です。
新しいスマートフォンを買いましたが、電池の持ちが悪いです。
ラーメン屋の前に長い行列ができていた。
明日の会議は午後三時から始まります。
彼女はピアノを弾くのが上手です。
この料理はとても美味しいですね。
駅までバスで十五分かかります。
サッカーの試合は雨で中止になりました。
図書館で日本の歴史について調べました。
携帯電話の料金が高すぎると思います。
週末は家族と一緒に映画を見に行きました。
京都の祇園祭は七月に行われます。
東京タワーから富士山が見えました。
機械学習の研究をしている学生が増えています。
このカメラは軽くて持ち運びが便利です。
旅行の計画を立てるのは楽しいです。
猫が好きな人は多いですね。
天気予報によると明日は雨です。
新幹線で大阪まで二時間半かかりました。
ＡＢＣ株式会社の社長が記者会見を行った。
ｶﾀｶﾅの半角文字も全角に正規化されます。
2024年の売上は１２３億円でした。
iPhone と Android のどちらが好きですか？
'''
EXCLUDED = set('鬱蒼')
TEXTS = SAMPLE.splitlines() + [
    '', ' ', '猫', '吾輩は猫である', '鬱蒼とした森', 'スマートフォンとカメラ', 'ＢＥＲＴとＧＰＴ', 'Hello World',
    'HELLO [CLS] 猫 [SEP] world', '[MASK]は猫である。', '[UNK][PAD]', 'ｶﾀｶﾅ ﾃﾞｰﾀ', '①②③と㈱', '１２３４５',
    '😀絵文字😀', '東京都　京都', 'Ⅻ章', 'ﬁle', '猫' * 120, 'とても' * 20, 'a' * 101, 'MeCab と BERT',
    '今日は天気が良いので、公園を散歩しました。明日の会議は午後三時から始まります。',
]

def mecab_words(lines):
    """MeCab surfaces of each line (one mecab process; lines hold no newline)."""
    stdin = ''.join(l + '\n' for l in lines).encode('utf-8')
    out = subprocess.run(['mecab', '-d', DIC, '--node-format=%m\\n', '--unk-format=%m\\n', '--eos-format=EOS\\n'],
                         input=stdin, stdout=subprocess.PIPE, check=True).stdout.decode('utf-8')
    blocks = out.split('EOS\n')
    assert blocks[-1] == '' and len(blocks) == len(lines) + 1
    return [[w for w in b.split('\n') if w != ''] for b in blocks[:-1]]

def build_vocab():
    counts = collections.Counter(w for ws in mecab_words([unicodedata.normalize('NFKC', l) for l in SAMPLE.splitlines()]) for w in ws)
    vocab = list(SPECIAL)
    def add(piece):
        if piece not in vocab:
            vocab.append(piece)
    for w, c in sorted(counts.items(), key=lambda x: (-x[1], x[0])):
        if c >= 2:
            add(w)
    for w, c in sorted(counts.items()):
        if c == 1 and len(w) >= 3:
            add(w[:2])
            add('##' + w[2:])
    chars = sorted({ch for w in counts for ch in w} - EXCLUDED)
    for ch in chars:
        add(ch)
    for ch in chars:
        add('##' + ch)
    return vocab

def split_special(text):
    """PreTrainedTokenizer.tokenize's split on the special tokens (leftmost, longest)."""
    chunks, start, i = [], 0, 0
    while i < len(text):
        match = max((t for t in SPECIAL if text.startswith(t, i)), key=len, default=None)
        if match is None:
            i += 1
            continue
        chunks.append((text[start:i], False))
        chunks.append((match, True))
        i += len(match)
        start = i
    chunks.append((text[start:], False))
    return [(c, s) for c, s in chunks if c]

def wordpiece(token, vocab):
    chars = list(token)
    if len(chars) > 100:
        return ['[UNK]']
    out, start = [], 0
    while start < len(chars):
        end, cur = len(chars), None
        while start < end:
            sub = ''.join(chars[start:end])
            if start > 0:
                sub = '##' + sub
            if sub in vocab:
                cur = sub
                break
            end -= 1
        if cur is None:
            return ['[UNK]']
        out.append(cur)
        start = end
    return out

def tokenize_all(texts, vocab, subword, lower):
    split = [split_special(t) for t in texts]
    if lower:
        split = [[(c if s else c.lower(), s) for c, s in chunks] for chunks in split]
    plain = [unicodedata.normalize('NFKC', c) for chunks in split for c, s in chunks if not s]
    words = iter(mecab_words(plain))
    result = []
    for chunks in split:
        pieces = []
        for c, s in chunks:
            if s:
                pieces.append(c)
                continue
            for w in next(words):
                if lower and w not in SPECIAL:
                    w = w.lower()
                if subword == 'wordpiece':
                    for token in w.strip().split():
                        pieces.extend(wordpiece(token, vocab))
                else:
                    pieces.extend(ch if ch in vocab else '[UNK]' for ch in unicodedata.normalize('NFKC', w))
        result.append(pieces)
    return result

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    vocab = build_vocab()
    with open(os.path.join(here, 'bert-japanese', 'vocab.txt'), 'w', encoding='utf-8', newline='\n') as f:
        f.write(''.join(v + '\n' for v in vocab))
    ids = {v: i for i, v in enumerate(vocab)}
    for subword in ('wordpiece', 'character'):
        for lower in (False, True):
            name = f'bert-japanese-{subword}{"-lower" if lower else ""}.tsv'
            with open(os.path.join(here, name), 'w', encoding='utf-8', newline='\n') as f:
                for text, pieces in zip(TEXTS, tokenize_all(TEXTS, vocab, subword, lower)):
                    f.write(escape(text.encode('utf-8')) + '\t' + ' '.join(pieces) + '\t' + ' '.join(str(ids[p]) for p in pieces) + '\n')
    print(len(vocab), 'vocabulary entries;', len(TEXTS), 'texts')

if __name__ == '__main__':
    main()
