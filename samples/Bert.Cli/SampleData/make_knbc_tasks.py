# Writes two KNBC tasks in the reference folder layout (features.csv / labels.csv) for `bert train`:
#   /usr/bin/python3 samples/Bert.Cli/SampleData/make_knbc_tasks.py ../shared/data/knbc OUT
#   OUT/multi/{train,test}: multi-label, the sentence's topic plus its evaluation types (KNBC column 5, e.g. 批評＋),
#                           labels joined by '|'; titles dropped.
#   OUT/pair/{train,test}:  sentence pairs (feature, feature2), label same / different: from the same article or not
#                           (one pair per sentence, its kind and partner drawn at random); titles dropped.
# Both split by article (10% of articles, seeded), so no article is on both sides.
import csv
import os
import random
import sys

TOPICS = {"Gourmet": "グルメ", "Keitai": "携帯電話", "Kyoto": "京都", "Sports": "スポーツ"}


def load(knbc):
    rows, seen = [], set()
    for name, topic in TOPICS.items():
        with open(os.path.join(knbc, "corpus2", name + ".tsv"), encoding="euc_jp") as f:
            for line in f:
                cols = line.rstrip("\n").split("\t")
                article = cols[0].split("-")[0]
                title = article not in seen
                seen.add(article)
                types = [t for t in dict.fromkeys(cols[4].split("\\n")) if t] if len(cols) > 4 else []
                if not title:
                    rows.append({"text": cols[1], "article": article, "topic": topic, "types": types})
    return rows


def write(folder, features, labels, header):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "features.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(features)
    with open(os.path.join(folder, "labels.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["label"])
        w.writerows([[l] for l in labels])


def main(knbc, out):
    rng = random.Random(42)
    rows = load(knbc)
    articles = sorted({r["article"] for r in rows})
    rng.shuffle(articles)
    test_articles = set(articles[: -(-len(articles) // 10)])
    for part in ["train", "test"]:
        part_rows = [r for r in rows if (r["article"] in test_articles) == (part == "test")]
        write(os.path.join(out, "multi", part), [[r["text"]] for r in part_rows],
              ["|".join([r["topic"]] + r["types"]) for r in part_rows], ["feature"])
        by_article = {}
        for r in part_rows:
            by_article.setdefault(r["article"], []).append(r)
        features, labels = [], []
        for r in part_rows:
            same = [s for s in by_article[r["article"]] if s is not r]
            if same and rng.random() < 0.5:
                features.append([r["text"], rng.choice(same)["text"]])
                labels.append("same")
                continue
            other = rng.choice(part_rows)
            while other["article"] == r["article"]:
                other = rng.choice(part_rows)
            features.append([r["text"], other["text"]])
            labels.append("different")
        write(os.path.join(out, "pair", part), features, labels, ["feature", "feature2"])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
