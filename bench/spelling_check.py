"""How well and how fast "did you mean" corrects typos, on real arXiv titles and abstracts.

    .venv/bin/python bench/spelling_check.py [--papers 158898] [--typos 500]
                                             [--seed 12] [--cache /tmp/spelling-cache]
                                             [--out FILE]

Indexes the first N papers of ../shared/data/arxiv/arxiv_papers.jsonl.gz (title and abstract,
BM25 index only; kept under --cache for the next run), then:

- typos: words drawn (fixed seed) from the titles, weighted by how many titles use them, of
  five letters or more, each given one random edit (a letter dropped, doubled, swapped with its
  neighbour or replaced by a neighbouring key) and, for words of eight letters or more, a
  second one in half the cases. Counted: corrected to the word (as typed before the typo, or a
  word with the same stem), corrected to another word, no suggestion, and typos that are
  themselves words of some paper (never corrected, by design).
- clean queries: the same number of correctly spelt title words: any suggestion is a false one
  (none is possible by construction, since only words no paper has are corrected; counted to
  show it).
- time: building the vocabulary (once per loaded index) and a correction (p50, p95), and the
  check for words that need none.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from papertide.search.keyword import KeywordDoc, KeywordIndex  # noqa: E402
from papertide.search.relevance import analysed_terms  # noqa: E402
from papertide.search.spelling import MIN_LETTERS, Speller  # noqa: E402

ARXIV = ROOT.parent / "shared" / "data" / "arxiv" / "arxiv_papers.jsonl.gz"
KEYS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
WORD = re.compile(r"[a-z0-9]+")


def neighbours(letter: str) -> str:
    for row in KEYS:
        i = row.find(letter)
        if i >= 0:
            return row[max(i - 1, 0) : i] + row[i + 1 : i + 2]
    return "e"


def one_edit(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)  # not the first letter: people rarely miss that one
    kind = rng.choice(("drop", "double", "swap", "key"))
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap" and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice(neighbours(word[i])) + word[i + 1 :]


def build(papers: int, cache: Path) -> KeywordIndex:
    path = cache / f"kw-{papers}"
    if (path / "done").exists():
        return KeywordIndex(path)
    index = KeywordIndex.create(path)
    with gzip.open(ARXIV, "rt") as handle:
        docs = (
            KeywordDoc(paper_id=i + 1, arxiv_id=r["id"], title=r["title"], abstract=r["abstract"])
            for i, r in enumerate(json.loads(line) for line in handle)
            if i < papers
        )
        index.upsert(docs)
    index.commit()
    (path / "done").write_text("")
    return index


def title_words(papers: int) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    with gzip.open(ARXIV, "rt") as handle:
        for i, line in enumerate(handle):
            if i >= papers:
                break
            # Tokens as the index splits them ("yolov8" is one), words of letters only.
            tokens = set(WORD.findall(json.loads(line)["title"].lower()))
            counts.update(w for w in tokens if len(w) >= 5 and w.isalpha())
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=158_898)
    parser.add_argument("--typos", type=int, default=500)
    parser.add_argument("--seed", type=int, default=12, help="of the typo draw")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/spelling-cache"))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    keyword = build(args.papers, args.cache)
    print(f"index of {args.papers:,} papers ready in {time.perf_counter() - started:.0f} s")
    words = title_words(args.papers)
    # Ties in a fixed order: a title's words are counted from a set, whose order varies by run.
    ranked = sorted(words.items(), key=lambda item: (-item[1], item[0]))
    frequent = [w for w, c in ranked if c >= 3 and len(w) >= MIN_LETTERS]
    weights = [words[w] for w in frequent]
    rng = random.Random(args.seed)
    speller = Speller(keyword)
    t0 = time.perf_counter()
    vocabulary = speller.vocabulary
    build_s = time.perf_counter() - t0

    outcome: collections.Counter[str] = collections.Counter()
    examples: dict[str, list[str]] = collections.defaultdict(list)
    timings: list[float] = []
    for word in rng.choices(frequent, weights=weights, k=args.typos):
        typo = one_edit(word, rng)
        if len(word) >= 8 and rng.random() < 0.5:
            typo = one_edit(typo, rng)
        if speller.known(typo):
            outcome["typo is a word of some paper"] += 1
            continue
        t = time.perf_counter()
        fix = speller.correct(typo)
        timings.append(time.perf_counter() - t)
        if fix is None:
            kind = "no suggestion"
        elif fix == word or analysed_terms([fix]) == analysed_terms([word]):
            kind = "corrected"
        else:
            kind = "another word"
        outcome[kind] += 1
        if len(examples[kind]) < 12:
            examples[kind].append(f"{typo} -> {fix} ({word})")
    clean = rng.choices(frequent, weights=weights, k=args.typos)
    t = time.perf_counter()
    false = sum(1 for w in clean if speller.correct(w) is not None)
    clean_ms = (time.perf_counter() - t) / len(clean) * 1000
    tried = sum(v for k, v in outcome.items() if k != "typo is a word of some paper")
    ms = np.array(timings) * 1000
    result: dict[str, Any] = {
        "command": " ".join(["python", *sys.argv]),
        "papers": args.papers,
        "vocabulary_terms": len(vocabulary.terms),
        "vocabulary_build_s": round(build_s, 3),
        "typos": args.typos,
        "seed": args.seed,
        "outcomes": dict(outcome),
        "corrected_share_of_correctable": round(outcome["corrected"] / max(tried, 1), 4),
        "another_word_share": round(outcome["another word"] / max(tried, 1), 4),
        "examples": dict(examples),
        "clean_words_with_a_suggestion": false,
        "correction_ms": {
            "p50": round(float(np.percentile(ms, 50)), 2),
            "p95": round(float(np.percentile(ms, 95)), 2),
        },
        "clean_word_check_ms": round(clean_ms, 3),
    }
    print(json.dumps(result, indent=1))
    if args.out is not None:
        args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
