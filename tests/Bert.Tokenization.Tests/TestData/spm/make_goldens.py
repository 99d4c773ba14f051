#!/usr/bin/python3
# Regenerates the SentencePiece test models and the spm_encode goldens next to this script:
#   cd tests/Bert.Core.Tests/TestData/spm && /usr/bin/python3 make_goldens.py /work/shared
# (argument: the shared/ folder, default ../shared beside the repository root; needs /usr/bin/spm_train,
# spm_encode, spm_decode and spm_export_vocab of Debian sentencepiece 0.1.97). Deterministic: same models, same files.
# Trains on train_extra.txt (written for these tests) plus the first 25,000 (unigram) / 8,000 (BPE) bytes of
# shared/data/aozora/wagahaiwa_nekodearu.txt (read, not copied):
#   unigram-ja.model  unigram, 800 pieces, no byte fallback, user-defined symbols <br> and ㈱
#   bpe-ja.model      BPE, 800 pieces, byte_fallback=true
# Both use normalization_rule.tsv (a small NFKC subset written by this script: full-width ASCII, ideographic space,
# half-width katakana incl. voiced combinations, circled digits, …, ligatures, tab) instead of nmt_nfkc, whose
# 240 KB character map would make each model too large to commit; the real nmt_nfkc map is covered by the
# wiki-ja goldens (wiki-ja-goldens.tsv, made with shared/models/wiki-ja/wiki-ja.model).
# *-fuzz-goldens.tsv: 250 seeded random mixes of the characters above (every other one lower-cased).
# *-decode-goldens.tsv: spm_decode of the encode goldens' ids and of 300 seeded random id sequences (ids, text).
# Golden TSV columns: lower (1 = the input was lower-cased, keeping [CLS]-like tokens, before spm_encode),
# the input escaped (\\ \t \r \n and \uXXXX for other control characters), spm_encode ids, spm_encode pieces (escaped alike).
import os, random, re, subprocess, sys, tempfile, unicodedata

here = os.path.dirname(os.path.abspath(__file__))
shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '../../../../../shared')

def rules():
    pairs = {}
    def add(src):
        dst = unicodedata.normalize('NFKC', src)
        if dst != src and dst:
            pairs[src] = dst
    for cp in list(range(0xFF01, 0xFF5F)) + list(range(0xFF61, 0xFFA0)) + list(range(0x2460, 0x2474)) + [0x3231, 0x2026, 0xFB01, 0xFB02, 0x2122]:
        add(chr(cp))
    for base in range(0xFF66, 0xFF9E):
        for mark in (0xFF9E, 0xFF9F):
            s = chr(base) + chr(mark)
            d = unicodedata.normalize('NFKC', s)
            if len(d) == 1:
                pairs[s] = d
    pairs['\u3000'] = ' '
    pairs['\t'] = ' '
    hexs = lambda s: ' '.join('%X' % ord(c) for c in s)
    return ''.join(f'{hexs(k)}\t{hexs(v)}\n' for k, v in sorted(pairs.items()))

SPECIAL = ['[CLS]', '[SEP]', '[PAD]', '[MASK]', '<unk>']
def lower_keeping(text):
    parts = re.split('(' + '|'.join(re.escape(t) for t in SPECIAL) + ')', text)
    return ''.join(p if p in SPECIAL else p.lower() for p in parts)

def escape(text):
    out = []
    for c in text:
        if c == '\\': out.append('\\\\')
        elif c == '\t': out.append('\\t')
        elif c == '\r': out.append('\\r')
        elif c == '\n': out.append('\\n')
        elif ord(c) < 0x20 or ord(c) == 0x7F: out.append('\\u%04X' % ord(c))
        else: out.append(c)
    return ''.join(out)

long_text = '吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。' * 60
CASES = [
    '', ' ', '   ', '\t\t', ' \t ', '  leading and trailing  ', 'runs   of    spaces\tand\ttabs',
    'ＡＢＣ１２３', 'ABC123 abc', 'ＨＥＬＬＯ　Ｗｏｒｌｄ！', '\u3000全角スペース\u3000',
    'ｶﾀｶﾅ ﾊﾝｶｸ ｶﾞｷﾞｸﾞ ﾊﾟﾋﾟﾌﾟ', 'ｱｲｳｴｵ', '①②③ ㈱ ﬁ … ™',
    '吾輩は猫である。名前はまだ無い。', 'おかきやせんべいの店なのだが、これがオイシイ。',
    '😀', '🇯🇵🇺🇸', '👨\u200d👩\u200d👧\u200d👦', '👍🏽 ok', 'a😀b', '猫😀😀😀犬',
    'a\u0001b\u007fc', 'zero\u200bwidth\u200bspace', 'a\rb', 'e\u0301 café', 'ﾞﾟ',
    '鬱鬱鬱', '齟齬を来す', '𠮷野家', 'Ελληνικά και русский язык', '漢字𠮷𠮷漢字',
    'dc1000', 'The QUICK brown fox', '[CLS] Hello [SEP] WORLD [MASK] [PAD] <unk>',
    'x[CLS]y[SEP]Ｚ', '<br>改行<br>', '㈱京都', 'email: someone@example.com', '3.14 1,000,000 2024年',
    long_text, 'あ' * 3000, 'A' * 2000,
]
LOWER_CASES = ['ABC123 abc', 'ＨＥＬＬＯ　Ｗｏｒｌｄ！', 'The QUICK brown fox',
               '[CLS] Hello [SEP] WORLD [MASK] [PAD] <unk>', 'x[CLS]y[SEP]Ｚ', 'ＡＢＣ１２３', 'Ελληνικά και русский язык']

def spm_encode(model, lines, fmt):
    with tempfile.NamedTemporaryFile('w', encoding='utf-8', newline='', delete=False, suffix='.txt') as f:
        f.write(''.join(l + '\n' for l in lines))
        name = f.name
    try:
        out = subprocess.run(['/usr/bin/spm_encode', '--model', model, '--output_format', fmt, '--input', name],
                             check=True, capture_output=True).stdout.decode('utf-8')
    finally:
        os.unlink(name)
    result = out.split('\n')
    assert result[-1] == '' and len(result) == len(lines) + 1, (model, fmt, len(result), len(lines))
    return result[:-1]

def fuzz_cases(count):
    # Random mixes of scripts, widths, spaces, emoji, control and unknown characters (seeded: reproducible).
    rng = random.Random(20261125)
    pools = ['あいうえおかきくけこがぎぐげごぱぴぷぺぽゃゅょっー', 'アイウエオカキクケコガギグゲゴパピプペポャュョッヴ', 'ｱｲｳｴｵｶﾞｷﾞﾊﾟﾋﾟｯｰ',
             '吾輩猫名前無生見当薄暗所泣記憶人間鬱齟齬𠮷', 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 'ＡＢＣａｂｃ０１２３',
             '0123456789', ' ', '  ', '\u3000', '\t', '、。「」！？…・（）', '.,;:!?-()[]<>"\'/\\', '😀🇯🇵👍🏽👨\u200d👩',
             '\u200b\u00ad\u0001\u007f', 'é\u0301ñü', 'Ελληνικάрусский', '①㈱ﬁ™', '<br>', '[CLS][SEP]', '▁']
    cases = []
    for i in range(count):
        n = rng.randint(0, 24)
        text = ''.join(rng.choice(rng.choice(pools)) if rng.random() < 0.8 else rng.choice(pools) for _ in range(n))
        cases.append((i % 2, text))
    return cases

def goldens(model, out_name, cases=None):
    cases = cases or [(0, c) for c in CASES] + [(1, c) for c in LOWER_CASES]
    inputs = [lower_keeping(c) if low else c for low, c in cases]
    for c in inputs:
        assert '\n' not in c, 'spm_encode reads lines'
    ids = spm_encode(model, inputs, 'id')
    pieces = spm_encode(model, inputs, 'piece')
    with open(os.path.join(here, out_name), 'w', encoding='utf-8', newline='\n') as f:
        for (low, c), i, p in zip(cases, ids, pieces):
            f.write(f'{low}\t{escape(c)}\t{i}\t{escape(p)}\n')
    print('wrote', out_name, len(cases), 'cases')

def spm_decode(model, id_lines):
    with tempfile.NamedTemporaryFile('w', encoding='utf-8', newline='', delete=False, suffix='.txt') as f:
        f.write(''.join(l + '\n' for l in id_lines))
        name = f.name
    try:
        out = subprocess.run(['/usr/bin/spm_decode', '--model', model, '--input_format', 'id', '--input', name],
                             check=True, capture_output=True).stdout.decode('utf-8')
    finally:
        os.unlink(name)
    result = out.split('\n')
    assert result[-1] == '' and len(result) == len(id_lines) + 1, (model, len(result), len(id_lines))
    return result[:-1]

def decode_goldens(model, vocab_size, encoded_golden, out_name):
    # Ids of the encode goldens (round trips), then 300 seeded random id sequences (control, unknown and byte
    # pieces anywhere, '▁' pieces first...). Columns: ids, spm_decode's text escaped.
    with open(os.path.join(here, encoded_golden), encoding='utf-8') as f:
        id_lines = [line.split('\t')[2] for line in f.read().split('\n') if line]
    id_lines = [l for l in id_lines if len(l) < 400]
    # Byte pieces of line breaks would split spm_decode's output lines: left out of the random sequences.
    vocab = subprocess.run(['/usr/bin/spm_export_vocab', '--model', model], check=True, capture_output=True).stdout.decode('utf-8')
    pieces = [line.split('\t')[0] for line in vocab.split('\n') if line]
    assert len(pieces) == vocab_size, (model, len(pieces))
    allowed = [i for i, p in enumerate(pieces) if p not in ('<0x0A>', '<0x0D>')]
    rng = random.Random(4186)
    specials = [i for i in range(0, 10) if i in allowed]
    for _ in range(300):
        n = rng.randint(0, 12)
        id_lines.append(' '.join(str(rng.choice(specials) if rng.random() < 0.3 else rng.choice(allowed)) for _ in range(n)))
    texts = spm_decode(model, id_lines)
    with open(os.path.join(here, out_name), 'w', encoding='utf-8', newline='\n') as f:
        for ids, text in zip(id_lines, texts):
            f.write(f'{ids}\t{escape(text)}\n')
    print('wrote', out_name, len(id_lines), 'cases')

def train(prefix, extra, slice_bytes):
    corpus = os.path.join(tempfile.gettempdir(), 'bert-net-spm-corpus.txt')
    with open(os.path.join(here, 'train_extra.txt'), encoding='utf-8') as f:
        text = f.read()
    with open(os.path.join(shared, 'data/aozora/wagahaiwa_nekodearu.txt'), 'rb') as f:
        text += f.read(slice_bytes).decode('utf-8', errors='ignore')
    with open(corpus, 'w', encoding='utf-8') as f:
        f.write(text)
    subprocess.run(['/usr/bin/spm_train', f'--input={corpus}', f'--model_prefix={os.path.join(here, prefix)}',
                    '--vocab_size=800', '--character_coverage=0.98',
                    f'--normalization_rule_tsv={os.path.join(here, "normalization_rule.tsv")}',
                    '--control_symbols=[PAD],[CLS],[SEP],[MASK]', '--seed_sentencepiece_size=100000',
                    '--num_threads=1', '--minloglevel=1'] + extra, check=True)
    os.remove(os.path.join(here, prefix + '.vocab'))

with open(os.path.join(here, 'normalization_rule.tsv'), 'w', encoding='utf-8') as f:
    f.write(rules())
train('unigram-ja', ['--model_type=unigram', '--user_defined_symbols=<br>,㈱'], 25000)
train('bpe-ja', ['--model_type=bpe', '--byte_fallback=true'], 8000)
goldens(os.path.join(here, 'unigram-ja.model'), 'unigram-ja-goldens.tsv')
goldens(os.path.join(here, 'bpe-ja.model'), 'bpe-ja-goldens.tsv')
goldens(os.path.join(shared, 'models/wiki-ja/wiki-ja.model'), 'wiki-ja-goldens.tsv')
for name in ('unigram-ja', 'bpe-ja'):
    goldens(os.path.join(here, name + '.model'), name + '-fuzz-goldens.tsv', fuzz_cases(250))
goldens(os.path.join(shared, 'models/wiki-ja/wiki-ja.model'), 'wiki-ja-fuzz-goldens.tsv', fuzz_cases(250))
decode_goldens(os.path.join(here, 'unigram-ja.model'), 800, 'unigram-ja-goldens.tsv', 'unigram-ja-decode-goldens.tsv')
decode_goldens(os.path.join(here, 'bpe-ja.model'), 800, 'bpe-ja-goldens.tsv', 'bpe-ja-decode-goldens.tsv')
decode_goldens(os.path.join(shared, 'models/wiki-ja/wiki-ja.model'), 32000, 'wiki-ja-goldens.tsv', 'wiki-ja-decode-goldens.tsv')
