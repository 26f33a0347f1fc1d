"""Sentences for the corpus from Debian-packaged text: WordNet glosses/examples and fortunes.

Every sentence is 4-30 words of plain ASCII letters with , ; : ( ) ' . ? ! only: no digits and no
abbreviations, so that what the C++ frontend does at inference (normalization) is not needed here.
"""
import glob
import os
import random
import re

WORDNET = "/usr/share/wordnet"
FORTUNES = "/usr/share/games/fortunes"
ABBREV = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "etc", "vs", "eg", "ie", "esp", "prof", "gen",
          "col", "lt", "sgt", "capt", "rev", "inc", "ltd", "co", "corp", "no", "vol", "ft", "mt", "al"}
ALLOWED = re.compile(r"^[A-Za-z ,;:()'.?!]+$")


def _norm_key(s):
    return re.sub(r"[^a-z ]", "", s.lower()).split()


def clean(s):
    """Returns a cleaned sentence or None."""
    s = s.strip().replace("`", "'").replace('"', "")
    s = re.sub(r"(?<=[A-Za-z])-(?=[A-Za-z])", " ", s)  # well-known -> well known
    s = re.sub(r"\s+", " ", s)
    if not s or not ALLOWED.match(s):
        return None
    if re.search(r"\b[A-Za-z]\.", s) or re.search(r"[.?!].", s[:-1] if s[-1] in ".?!" else s):
        return None  # initials, abbreviations, several sentences
    words = re.findall(r"[A-Za-z']+", s)
    if not 4 <= len(words) <= 30:
        return None
    for w in words:
        lw = w.lower().strip("'")
        if lw in ABBREV or (w.isupper() and len(w) > 1) or "''" in w or not lw:
            return None
    if s.count("(") != s.count(")"):
        return None
    s = s[0].upper() + s[1:]
    if s[-1] not in ".?!":
        s = s.rstrip(",;:") + "."
    return s


def wordnet_sentences():
    out = []
    for path in sorted(glob.glob(os.path.join(WORDNET, "data.*"))):
        with open(path, encoding="latin-1") as f:
            for line in f:
                if line.startswith(" ") or "|" not in line:
                    continue
                gloss = line.split("|", 1)[1].strip()
                for part in gloss.split(";"):
                    out.append(("wordnet:" + os.path.basename(path), part.strip()))
    return out


def fortune_sentences():
    out = []
    for name in ("fortunes", "literature", "riddles"):
        path = os.path.join(FORTUNES, name)
        if not os.path.exists(path):
            continue
        with open(path, encoding="latin-1") as f:
            text = f.read()
        for entry in text.split("\n%\n"):
            entry = re.sub(r"\s+", " ", entry)
            for sent in re.split(r"(?<=[.?!])\s+", entry):
                out.append(("fortunes:" + name, sent))
    return out


def load_heldout(path):
    keys = set()
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if line and not line.startswith("#"):
                keys.add(" ".join(_norm_key(line)))
    return keys


def corpus_sentences(heldout_path, seed=1234):
    """Deterministic list of (source, sentence), unique, shuffled, none of them held out."""
    held = load_heldout(heldout_path)
    seen, out = set(), []
    for src, raw in fortune_sentences() + wordnet_sentences():
        s = clean(raw)
        if s is None:
            continue
        key = " ".join(_norm_key(s))
        if key in seen or any(h in key for h in held if len(h) > 20) or key in held:
            continue
        seen.add(key)
        out.append((src, s))
    random.Random(seed).shuffle(out)
    return out


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    sents = corpus_sentences(os.path.join(here, "..", "eval", "sentences.txt"))
    print(len(sents), "sentences")
    for s in sents[:15]:
        print(s)
