#!/usr/bin/python3
# Regenerates the mecab -Owakati goldens next to this script:
#   cd tests/Bert.Tokenization.Tests/TestData/mecab && /usr/bin/python3 make_wakati_goldens.py
# Needs Debian's mecab 0.996 with mecab-ipadic-utf8 and mecab-jumandic-utf8 (/var/lib/mecab/dic/ipadic-utf8,
# /var/lib/mecab/dic/juman-utf8). Deterministic: same inputs, same files.
# Inputs: edge cases written here (unknown words, digits, Latin, emoji, half-width kana, spaces, empty lines,
# control characters, a NUL, scripts MeCab's dictionaries do not know, runs longer than max-grouping-size, lines
# of up to 8,000 bytes, under mecab's 8,192-byte input buffer) and 150 seeded random mixes of those characters.
# Each input is one line of stdin to `mecab -Owakati -d DIR` (one process per dictionary); each output line is
# the words of that input, each followed by a space.
# wakati-ipadic.tsv, wakati-jumandic.tsv columns: the input, mecab's output line without its '\n'; both escaped
# (\\ \t \r \n, \uXXXX for other control characters, \xHH for a byte that is not UTF-8).
import random, subprocess

DICTIONARIES = {'ipadic': '/var/lib/mecab/dic/ipadic-utf8', 'jumandic': '/var/lib/mecab/dic/juman-utf8'}

EDGE = [
    '', ' ', '   ', '\t', '\u3000', ' \u3000 ', 'a', ' a', 'a ', '  a  b  ', '\tタブ\t区切り\t',
    'すもももももももものうち', '今日は良い天気です。', '吾輩は猫である。名前はまだ無い。',
    '東京都に住んでいます', '国立国会図書館', '日本語の形態素解析器', '走れメロス', 'ありがとうございました!!',
    '0', '123', '１２３', '3.14159', '１，０００円', '2024年1月1日', '10:30に出発', '-5℃', '½と⅓', '①②③',
    '第3四半期', '0120-123-456', '１２３４５６７８９０１２３４５６７８９０１２３４５６７８９０',
    'Hello', 'hello world', 'Hello, World!', 'iPhone15Pro', 'BERTとGPT', 'ＡＢＣ', 'ａｂｃＸＹＺ', 'e-mail: foo@example.com',
    'https://example.com/path?q=1&r=2', 'C++とC#とF#', "it's", 'naïve café', 'Ωmega αβγ', 'Привет мир',
    '😀', '😀😀😀', '絵文字😀です', '👍🏽', '👨‍👩‍👧', '🇯🇵', '❤️', '☀☁☂', '★☆♪', '→←↑↓',
    'ｶﾀｶﾅ', 'ﾊﾝｶｸｶﾀｶﾅﾃﾞｽ', 'ｶﾞｷﾞｸﾞ', 'ﾊﾟﾋﾟﾌﾟ', 'ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝ', '｢ｶｷﾞ｣', 'ﾃﾞｰﾀ',
    'カタカナ', 'コンピューターサイエンス', 'ア' * 24, 'ア' * 25, 'ア' * 26, 'ア' * 60, 'ー' * 30, 'ヴァイオリン',
    'ぁぃぅぇぉ', 'ゔ', 'ゝゞヽヾ々〆〇', '漢' * 30, '𠮷野家', '𩸽を食べた', '𠀋𡈽𡌛', '鬱',
    '한국어', '中文简体字', '繁體中文', 'ภาษาไทย', 'العربية', 'עברית', 'देवनागरी',
    'a\u0301', 'か\u3099', '\u200b', 'ゼロ\u200b幅', '\ufeffBOM', '葛\U000E0100', '\u00a0', 'x\u00a0y', '\u2028',
    '\x01\x02', 'a\x7fb', '\x1b[0m', 'a\rb', 'end\r', '\u0085', '\ufffd', '\ue000私用領域',
    'a\x00b', '\x00',
    '「かぎ括弧」と『二重』', '（丸括弧）', '【隅付き】', '…', '‥', '・', '〜', '～', '――', '、。，．',
    '!!??', '！？', '"quoted"', "'single'", '#hashtag', '@mention', '$100', '%', '&', '*', '+-=', '<>', '[]', '{}', '|', '~', '^', '_', '`', '\\',
    'ｗｗｗ', 'www', '笑笑笑', 'ほげほげ', 'ぬるぽ', 'ガッ', 'キタ━━━(ﾟ∀ﾟ)━━━!!', '(´・ω・`)', 'orz',
    '平成３１年４月３０日', '令和元年', 'ＪＲ東日本', 'ＮＨＫ', 'Ｗｉｎｄｏｗｓ１０', 'USB3.0', 'Ver.2.1.0',
]
LONG = [
    '吾輩は猫である。' * 330,
    'あ' * 2600,
    'ア' * 2600,
    'a' * 7990,
    '1' * 7990,
    ' ' * 7990,
    '😀' * 1990,
    ('今日は晴れ。明日は雨かもしれない。The quick brown fox. 123 ｶﾀｶﾅ😀 ' * 60)[:2600],
]
POOLS = [
    'あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんがぎぐげござじずぜぞだでどばびぶべぼぱぴぷぺぽっゃゅょー',
    'アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンガギグゲゴヴァィゥェォッャュョー',
    '日本語形態素解析東京都大学研究者会社員学生先生今日明日天気雨雪山川海空人生愛情報処理自然言語機械学習猫犬鳥魚',
    'ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝﾞﾟｰ｡｢｣､･',
    '0123456789０１２３４５６７８９.,，．%',
    'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZａｂｃＡＢＣ',
    '😀😂👍🏽❤️🇯🇵🎉✨🍣🗾👨‍👩‍👧',
    ' \u3000\t',
    '、。！？「」『』（）・…ー〜!?()[]{}<>/\\-_=+*&^%$#@~`\'":;',
    'αβγΩПривет한국어中文𠮷𩸽\u00e9\u0301\u200b\ufeff',
]

def random_lines(count, seed=17):
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 12)):
            pool = rng.choice(POOLS)
            parts.append(''.join(rng.choice(pool) for _ in range(rng.randint(1, 12))))
        lines.append(''.join(parts))
    return lines

def escape(data):
    text = data.decode('utf-8', 'surrogateescape')
    out = []
    for ch in text:
        cp = ord(ch)
        if ch == '\\': out.append('\\\\')
        elif ch == '\t': out.append('\\t')
        elif ch == '\r': out.append('\\r')
        elif ch == '\n': out.append('\\n')
        elif 0xDC80 <= cp <= 0xDCFF: out.append('\\x%02X' % (cp - 0xDC00))
        elif cp < 0x20 or 0x7F <= cp < 0xA0: out.append('\\u%04X' % cp)
        else: out.append(ch)
    return ''.join(out)

def main():
    inputs = EDGE + LONG + random_lines(150)
    encoded = [s.encode('utf-8') for s in inputs]
    for e in encoded:
        assert b'\n' not in e and len(e) < 8191, 'lines must fit mecab\'s default input buffer'
    stdin = b''.join(e + b'\n' for e in encoded)
    for name, folder in DICTIONARIES.items():
        out = subprocess.run(['mecab', '-Owakati', '-d', folder], input=stdin, stdout=subprocess.PIPE, check=True).stdout
        lines = out.split(b'\n')
        assert lines[-1] == b'' and len(lines) - 1 == len(encoded), (name, len(lines), len(encoded))
        with open(f'wakati-{name}.tsv', 'w', encoding='utf-8', newline='\n') as f:
            for e, line in zip(encoded, lines):
                f.write(escape(e) + '\t' + escape(line) + '\n')
        print(name, len(encoded), 'lines')

if __name__ == "__main__":
    main()
