#!/usr/bin/python3
# Builds the tiny MeCab dictionary used by the loader and bad-input tests, and its mecab goldens:
#   cd tests/Bert.Tokenization.Tests/TestData/mecab && /usr/bin/python3 make_tiny_dictionary.py
# Needs Debian's mecab 0.996 (mecab, /usr/lib/mecab/mecab-dict-index). Writes the dictionary sources written here
# (char.def with invoke/group/length variations and a multi-category character, unk.def, a 4 x 4 matrix.def,
# 40 words, dicrc with max-grouping-size = 5) into a temporary folder, compiles them with
# `mecab-dict-index -f utf-8 -t utf-8` into tiny/ (sys.dic, unk.dic, char.bin, matrix.bin, dicrc), then runs
# mecab on the inputs below and 120 seeded random mixes:
#   wakati-tiny.tsv  input, `mecab -Owakati -d tiny` output line (escaped as in make_wakati_goldens.py)
#   parse-tiny.tsv   input, `mecab -d tiny` output (surface TAB feature lines, then EOS; '\n' escaped)
import os, random, shutil, subprocess, tempfile
from make_wakati_goldens import escape

CHAR_DEF = '''DEFAULT 0 1 0
SPACE 0 1 0
KANJI 0 0 2
SYMBOL 1 1 0
NUMERIC 1 1 0
ALPHA 1 1 0
HIRAGANA 0 1 2
KATAKANA 1 1 2
KANJINUMERIC 1 1 0

0x0020 SPACE
0x0009 SPACE
0x3000 SPACE
0x0021..0x002F SYMBOL
0x0030..0x0039 NUMERIC
0x0041..0x005A ALPHA
0x0061..0x007A ALPHA
0x3001..0x3002 SYMBOL
0x3041..0x309F HIRAGANA
0x30A1..0x30FA KATAKANA
0x30FC KATAKANA HIRAGANA
0x4E00..0x9FFF KANJI
0x4E00 KANJINUMERIC KANJI
0x4E8C KANJINUMERIC KANJI
0x4E09 KANJINUMERIC KANJI
0xFF10..0xFF19 NUMERIC
'''
UNK_DEF = '''DEFAULT,3,3,6000,記号,一般,*
SPACE,3,3,0,記号,空白,*
KANJI,1,1,5000,名詞,一般,*
KANJI,2,2,5500,動詞,自立,*
SYMBOL,3,3,3000,記号,一般,*
NUMERIC,1,1,2000,名詞,数,*
ALPHA,1,1,3000,名詞,固有名詞,*
HIRAGANA,2,2,6000,助詞,一般,*
KATAKANA,1,1,4000,名詞,一般,*
KANJINUMERIC,1,1,1500,名詞,数,*
'''
MATRIX_DEF = '4 4\n' + ''.join(f'{r} {l} {c}\n' for (r, l), c in {
    (0, 0): 0, (0, 1): -200, (0, 2): 300, (0, 3): 100,
    (1, 0): -100, (1, 1): 500, (1, 2): -400, (1, 3): 200,
    (2, 0): 0, (2, 1): -300, (2, 2): 800, (2, 3): 0,
    (3, 0): 100, (3, 1): 0, (3, 2): 100, (3, 3): 300}.items())
WORDS = [
    ('すもも', 1, 1, 3000, '名詞,一般'), ('もも', 1, 1, 2500, '名詞,一般'), ('も', 2, 2, 1000, '助詞,係助詞'),
    ('の', 2, 2, 800, '助詞,連体化'), ('うち', 1, 1, 2000, '名詞,非自立'), ('東京', 1, 1, 2000, '名詞,固有名詞'),
    ('東京都', 1, 1, 3500, '名詞,固有名詞'), ('都', 1, 1, 4000, '名詞,接尾'), ('に', 2, 2, 700, '助詞,格助詞'),
    ('住ん', 2, 2, 3000, '動詞,自立'), ('で', 2, 2, 900, '助詞,接続助詞'), ('いる', 2, 2, 1500, '動詞,非自立'),
    ('猫', 1, 1, 2500, '名詞,一般'), ('が', 2, 2, 600, '助詞,格助詞'), ('好き', 1, 1, 2600, '名詞,形容動詞語幹'),
    ('です', 2, 2, 1000, '助動詞'), ('。', 3, 3, 0, '記号,句点'), ('、', 3, 3, 0, '記号,読点'),
    ('今日', 1, 1, 2200, '名詞,副詞可能'), ('は', 2, 2, 500, '助詞,係助詞'), ('晴れ', 1, 1, 3000, '名詞,一般'),
    ('日本', 1, 1, 2000, '名詞,固有名詞'), ('日本語', 1, 1, 2800, '名詞,一般'), ('語', 1, 1, 4500, '名詞,接尾'),
    ('形態素', 1, 1, 3000, '名詞,一般'), ('解析', 1, 1, 2500, '名詞,サ変接続'), ('カタ', 1, 1, 5000, '名詞,一般'),
    ('カタカナ', 1, 1, 3000, '名詞,一般'), ('ABC', 1, 1, 2000, '名詞,固有名詞'), ('abc', 1, 1, 2500, '名詞,一般'),
    ('一', 1, 1, 1000, '名詞,数'), ('二', 1, 1, 1000, '名詞,数'), ('一二', 1, 1, 1900, '名詞,数'),
    ('もも', 2, 3, 2400, '動詞,自立'), ('うち', 2, 2, 2000, '助詞,接続助詞'), ('は', 3, 1, 900, '記号,特殊'),
    ('ー', 1, 1, 4000, '記号,長音'), ('スー', 1, 1, 3000, '名詞,一般'), ('12', 1, 1, 1500, '名詞,数'), ('!', 3, 3, 100, '記号,一般'),
]
DICRC = 'cost-factor = 800\nbos-feature = BOS/EOS,*,*\nmax-grouping-size = 5\n'
INPUTS = [
    '', ' ', 'すもももももももものうち', '東京都に住んでいる', '猫が好きです。', '今日は晴れ、日本語の形態素解析',
    'カタカナカタカナ', 'カタ', 'カタカナーー', 'スーパー', 'ABCabcXYZ', 'abcdefghij', 'abcdefghijklmnop',
    '1234567', '12', '１２３', '一二三', '一二', '二一', '!!!?', '  猫  が  ', '\t猫\u3000が', 'αβγ', '😀猫😀', 'ｶﾀｶﾅ',
    'ああああああああ', 'あ', 'ー', 'ーー', '漢字漢字漢字', '未知語の漢字', 'すもも12ABCカタカナ。',
]

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, 'tiny')
    with tempfile.TemporaryDirectory() as src:
        for name, text in [('char.def', CHAR_DEF), ('unk.def', UNK_DEF), ('matrix.def', MATRIX_DEF), ('dicrc', DICRC),
                           ('lex.csv', ''.join(f'{s},{l},{r},{c},{f}\n' for s, l, r, c, f in WORDS))]:
            with open(os.path.join(src, name), 'w', encoding='utf-8') as f:
                f.write(text)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        subprocess.run(['/usr/lib/mecab/mecab-dict-index', '-d', src, '-o', out, '-f', 'utf-8', '-t', 'utf-8'],
                       check=True, stdout=subprocess.DEVNULL)
        shutil.copy(os.path.join(src, 'dicrc'), out)
    rng = random.Random(5)
    pool = 'すもものうち東京都に住んでいる猫が好きです。、今日は晴れ日本語形態素解析カタナーABCabcxyz0123456789一二三 !?αβ😀漢字'
    inputs = INPUTS + [''.join(rng.choice(pool) for _ in range(rng.randint(1, 40))) for _ in range(120)]
    stdin = ''.join(s + '\n' for s in inputs).encode('utf-8')
    wakati = subprocess.run(['mecab', '-Owakati', '-d', out], input=stdin, stdout=subprocess.PIPE, check=True).stdout.split(b'\n')
    assert len(wakati) == len(inputs) + 1
    with open(os.path.join(here, 'wakati-tiny.tsv'), 'w', encoding='utf-8', newline='\n') as f:
        for s, line in zip(inputs, wakati):
            f.write(escape(s.encode('utf-8')) + '\t' + escape(line) + '\n')
    parsed = subprocess.run(['mecab', '-d', out], input=stdin, stdout=subprocess.PIPE, check=True).stdout
    sentences = parsed.split(b'EOS\n')
    assert sentences[-1] == b'' and len(sentences) == len(inputs) + 1
    with open(os.path.join(here, 'parse-tiny.tsv'), 'w', encoding='utf-8', newline='\n') as f:
        for s, block in zip(inputs, sentences):
            f.write(escape(s.encode('utf-8')) + '\t' + escape(block + b'EOS\n') + '\n')
    print(len(inputs), 'inputs; tiny dictionary:', sorted(os.listdir(out)))

main()
