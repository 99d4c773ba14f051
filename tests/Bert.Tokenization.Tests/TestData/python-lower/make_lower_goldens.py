#!/usr/bin/env python3
"""Goldens for PythonLowerCase: Python's str.lower() (Google's tokenization.py lower-cases words with it) and
Hugging Face's character-by-character lower-casing (PreTrainedTokenizer.tokenize's re.sub over single characters).

Run: /usr/bin/python3 make_lower_goldens.py > lower-goldens.json   (Python 3.11, Debian)
"""
import json
import sys

texts = [
    "ΟΔΟΣ", "ΣΑΣ ΟΔΟΣ.", "Σ", "ΑΣ", "ΑΣΑ", "ΑΣ.Α", "ΑΣ'Α", "ΑΣ'", "Α\u0301Σ", "ΑΣ\u0301", "ΑΣ\u0301Β", "1Σ", "ΑΣ1",
    "ὈΔΥΣΣΕΎΣ", "ΜΆΪΟΣ ΣΕ ΑΘΉΝΑ", "ʰΣ", "ªΣ", "Σʰ", "ΑΣ\u00ad", "Ⓐ Σ", "AΣ", "abcΣ", "ΑΣ:Β", "ΑΣ:",
    "İstanbul", "İİ", "DİYARBAKIR", "i\u0307", "KAYSERİ'DE",
    "Hello WORLD", "ÀÉÎÕÜ", "ǅ ǈ ǋ", "ẞ", "ΐ", "Ωmega", "\U00010400\U00010401", "x",
    "ＡＢＣ", "Ⅻ", "ⓐⒶ", "Ꭰ", "ꭰ", "ᏸ", "ºΣ", "\U0001F130Σ", "ΑΣ\U0001F170", "ⅰΣ", "ⒶΣ ⓐ",
]
rows = [{"text": t, "python": t.lower(), "per_char": "".join(c.lower() for c in t)} for t in texts]
json.dump({"python": sys.version.split()[0], "unicode": __import__("unicodedata").unidata_version, "rows": rows},
          sys.stdout, ensure_ascii=False, indent=1)
print()
