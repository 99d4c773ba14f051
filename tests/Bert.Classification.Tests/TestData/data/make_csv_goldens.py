# Regenerate (from the repository root):
#   /usr/bin/python3 tests/Bert.Classification.Tests/TestData/data/make_csv_goldens.py
#
# Writes CSV/TSV files with Python's csv module (the writer pandas' to_csv uses) for LabeledTextFilesTests:
#   python_csv/features.csv  pandas-like: an unnamed index column then "feature"; UTF-8 with BOM (utf-8-sig), CRLF
#   python_csv/labels.csv    pandas-like: index column then "label"; UTF-8, LF
#   python_csv/texts.tsv     "text<TAB>label", csv.writer(delimiter="\t"), UTF-8, CRLF
#   python_csv/expected.json the texts and labels those files hold
#   python_csv/mac.csv       "text,label", classic Mac line ends (lineterminator "\r", as Excel for Mac's "CSV (Macintosh)"),
#                            the rows without line breaks inside; UTF-8
#   python_csv/expected_mac.json what Python's csv.reader reads back from mac.csv (header dropped)
import csv
import json
import os

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "python_csv")

ROWS = [
    ("六角堂の前にある、蕪村庵というお店に行ってきた。", "グルメ"),
    ('He said "hello", then left', "quote"),
    ("two\nlines", "newline"),
    ("windows\r\nline end", "crlf"),
    ("tab\tinside", "tab"),
    ("  leading and trailing spaces  ", "space"),
    ("", "empty"),
    ('"', "lone quote"),
    ("comma, only", "comma, label"),
    ("ｶﾀｶﾅ ﾃｽﾄ and emoji 😀", "携帯電話"),
]


def main():
    os.makedirs(HERE, exist_ok=True)
    with open(os.path.join(HERE, "features.csv"), "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["", "feature"])
        for i, (text, _) in enumerate(ROWS):
            w.writerow([i, text])
    with open(os.path.join(HERE, "labels.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["", "label"])
        for i, (_, label) in enumerate(ROWS):
            w.writerow([i, label])
    with open(os.path.join(HERE, "texts.tsv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\r\n")
        w.writerow(["text", "label"])
        for text, label in ROWS:
            w.writerow([text, label])
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        json.dump([{"text": t, "label": l} for t, l in ROWS], f, ensure_ascii=False, indent=1)
    with open(os.path.join(HERE, "mac.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\r")
        w.writerow(["text", "label"])
        for text, label in ROWS:
            if "\n" not in text and "\r" not in text:
                w.writerow([text, label])
    with open(os.path.join(HERE, "mac.csv"), encoding="utf-8", newline="") as f:
        read = list(csv.reader(f))
    with open(os.path.join(HERE, "expected_mac.json"), "w", encoding="utf-8") as f:
        json.dump([{"text": t, "label": l} for t, l in read[1:]], f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
