#!/usr/bin/env python3
"""ttsd's Chinese for GPT-SoVITS voices against upstream's own frontend, run beside the project.

ttsd's side comes from bench/gpt-sovits-zh-dump (the C++ code the voices use); upstream's from a
GPT-SoVITS checkout given on the command line (imported from there, never copied here):
GPT_SoVITS/text/chinese2.py's text_normalize and g2p with g2pw OFF (its model is not available
here: pypinyin and tone_sandhi decide the readings), and transformers' BertTokenizer on a vocab.txt.

    python models/gpt-sovits/zh_check.py --gpt-sovits /path/to/GPT-SoVITS \\
        --dump build/bench/gpt-sovits-zh-dump --voice models/fixtures/gpt-sovits/fixture-gpt-sovits \\
        [--vocab /path/to/vocab.txt] [--tsv tests/frontend/data/mandarin-pinyin.tsv] [--json out.json]

Needs (a throwaway venv outside the repository): torch, transformers, pypinyin, jieba (or jieba_fast),
cn2an. Compares, per sentence of the hand-checked test set:
  - symbols: ttsd's Chinese run (ReadZhRun) against upstream's g2p(text_normalize(s)); agreement per
    symbol (matched symbols of a difflib alignment over upstream's count) and per sentence (equal);
    where they differ on a syllable, which one the hand-checked pinyin agrees with;
  - BERT tokens: ttsd's ids (BertVocab) against BertTokenizer on the same characters and vocab.txt;
  - per-phone features: the voice's bert_model.pt run by ttsd (SentenceInput) against the same module
    run here on BertTokenizer's ids and upstream's word2ph (row sums), where the symbols agree; and
    that upstream's build_phone_level_feature repeats rows as the fixture module does.
"""
import argparse
import ast
import collections
import contextlib
import difflib
import io
import json
import os
import subprocess
import sys
import types

MARKS = {"!", "?", "…", ",", ".", "-"}


def import_upstream(checkout):
    """chinese2 from the checkout with g2pw off (a stand-in module satisfies its import)."""
    sys.path.insert(0, os.path.join(checkout, "GPT_SoVITS"))
    try:
        import jieba_fast  # noqa: F401
    except ImportError:  # the same dictionary and API, in pure Python
        import jieba
        import jieba.posseg
        sys.modules["jieba_fast"] = jieba
        sys.modules["jieba_fast.posseg"] = jieba.posseg
    g2pw = types.ModuleType("text.g2pw")
    g2pw.G2PWPinyin = lambda **kw: None
    g2pw.correct_pronunciation = None
    sys.modules["text.g2pw"] = g2pw
    cwd = os.getcwd()
    os.chdir(checkout)  # chinese2 reads its tables relative to its own file, G2PW paths to the cwd
    try:
        from text import chinese2
    finally:
        os.chdir(cwd)
    chinese2.is_g2pw = False
    return chinese2


def upstream_build_phone_level_feature(checkout):
    """export_torch_script.py's build_phone_level_feature, read from the checkout (without its decorator)."""
    path = os.path.join(checkout, "GPT_SoVITS", "export_torch_script.py")
    tree = ast.parse(open(path, encoding="utf-8").read())
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "build_phone_level_feature")
    fn.decorator_list = []
    import torch
    scope = {"torch": torch, "Tensor": torch.Tensor, "IntTensor": torch.IntTensor}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), path, "exec"), scope)
    return scope["build_phone_level_feature"]


def read_tsv(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            rows.append((cols[0], cols[1], cols[2] if len(cols) > 2 else ""))
    return rows


def syllables(symbols):
    """Symbols without marks, as (initial, final) pairs."""
    s = [x for x in symbols if x not in MARKS]
    return [tuple(s[i:i + 2]) for i in range(0, len(s) - 1, 2)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gpt-sovits", required=True, help="a GPT-SoVITS checkout (its GPT_SoVITS/ is imported)")
    ap.add_argument("--dump", required=True, help="ttsd's bench/gpt-sovits-zh-dump")
    ap.add_argument("--voice", required=True, help="a GPT-SoVITS package with bert_model.pt (the fixture)")
    ap.add_argument("--vocab", help="vocab.txt for the tokenizer check (default: the voice's)")
    ap.add_argument("--tsv", default=os.path.join(os.path.dirname(__file__), "..", "..", "tests", "frontend",
                                                  "data", "mandarin-pinyin.tsv"))
    ap.add_argument("--json", help="write the figures and every difference here")
    args = ap.parse_args()

    import torch
    from transformers import BertTokenizer

    chinese2 = import_upstream(os.path.abspath(args.gpt_sovits))
    rows = read_tsv(args.tsv)
    dump_cmd = [args.dump, "--voice", args.voice] + (["--vocab", args.vocab] if args.vocab else [])
    out = subprocess.run(dump_cmd, input="".join(f"{t}\t{p}\n" for t, p, _ in rows), capture_output=True,
                         text=True, check=True).stdout.splitlines()
    ttsd = [json.loads(line) for line in out]
    assert len(ttsd) == len(rows)
    voice = json.load(open(os.path.join(args.voice, "voice.json")))
    vocab = args.vocab or os.path.join(args.voice, voice["bert_vocab_file"])
    tokenizer = BertTokenizer(vocab_file=vocab)
    bert = torch.jit.load(os.path.join(args.voice, voice["bert_file"]))
    torch.set_num_threads(1)

    n_sym = n_match = n_sent_equal = n_syl_equal_sent = 0
    n_tok_sent = n_tok_equal = 0
    n_feat = n_feat_equal = 0
    diff_kinds = collections.Counter()
    who = collections.Counter()
    by_category = collections.defaultdict(lambda: [0, 0])
    differences = []
    for (text, pinyin, categories), t in zip(rows, ttsd):
        # Every Chinese run (ttsd's SplitScripts) through both frontends, joined: upstream's
        # LangSegmenter is not what is compared.
        zh_runs = [r for r in t["runs"] if r["zh"]]
        mine, chars, tokens, up_phones, up_word2ph, norm = [], [], [], [], [], ""
        for r in zh_runs:
            with contextlib.redirect_stdout(io.StringIO()):  # chinese2 prints its pypinyin results
                n = chinese2.text_normalize(r["text"])
                p, w = chinese2.g2p(n)
            up_phones += p
            up_word2ph += w
            norm += n
            mine += r["symbols"]
            chars.append(r["chars"])
            tokens.append(r["tokens"])
        sm = difflib.SequenceMatcher(a=up_phones, b=mine, autojunk=False)
        matched = sum(b.size for b in sm.get_matching_blocks())
        n_sym += len(up_phones)
        n_match += matched
        equal = mine == up_phones
        n_sent_equal += equal
        for c in categories.split(","):
            by_category[c][0] += 1
            by_category[c][1] += equal
        # Syllables (marks aside) position by position, judged by the hand-checked pinyin.
        expected, a, b = syllables(t["expected"]), syllables(up_phones), syllables(mine)
        n_syl_equal_sent += a == b
        record = {"text": text, "upstream": " ".join(up_phones), "ttsd": " ".join(mine)}
        if a != b:
            if len(a) == len(b) == len(expected):
                for e, u, m in zip(expected, a, b):
                    if u == m:
                        continue
                    kind = "tone" if (u[0], u[1][:-1]) == (m[0], m[1][:-1]) else "reading"
                    judged = "ttsd right" if m == e else "upstream right" if u == e else "neither"
                    who[judged] += 1
                    diff_kinds[kind] += 1
                    record.setdefault("syllables", []).append(
                        {"expected": " ".join(e), "upstream": " ".join(u), "ttsd": " ".join(m), "kind": kind,
                         "judged": judged})
            else:
                diff_kinds["length (normalisation or erhua)"] += 1
                who["length: ttsd right" if b == expected else "length: upstream right" if a == expected
                    else "length: neither"] += 1
                record["length"] = {"expected": len(expected), "upstream": len(a), "ttsd": len(b)}
        else:
            am = [x for x in up_phones if x in MARKS]
            bm = [x for x in mine if x in MARKS]
            if am != bm:
                diff_kinds["marks only"] += 1
                record["marks"] = {"upstream": am, "ttsd": bm}
        if not equal:
            differences.append(record)

        # BERT tokens of ttsd's characters: ttsd's BertVocab against BertTokenizer.
        for c, tok in zip(chars, tokens):
            n_tok_sent += 1
            hf = tokenizer("".join(c))["input_ids"]
            n_tok_equal += hf == tok
            if hf != tok:
                differences.append({"text": text, "tokens": {"ttsd": tok, "transformers": hf}})

        # Features: where the whole sentence is this one run and the symbols agree, ttsd's rows
        # (SentenceInput, in C++) against bert_model.pt on BertTokenizer's ids of upstream's normalised
        # text with upstream's word2ph, as TextPreprocessor.get_bert_feature lays them out.
        if equal and len(t["runs"]) == 1 and "bert_row_sums" in t and t["symbols"] == up_phones:
            enc = BertTokenizer(vocab_file=os.path.join(args.voice, voice["bert_vocab_file"]))(norm, return_tensors="pt")
            with torch.no_grad():
                feats = bert(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"],
                             torch.tensor(up_word2ph, dtype=torch.int32))
            n_feat += 1
            ok = feats.shape[0] == len(t["bert_row_sums"]) and torch.allclose(
                feats.double().sum(1), torch.tensor(t["bert_row_sums"], dtype=torch.double), rtol=1e-4, atol=1e-4)
            n_feat_equal += ok
            if not ok:
                differences.append({"text": text, "features": "row sums differ"})

    # upstream's build_phone_level_feature on distinct rows: the fixture's repeat_interleave layout.
    build = upstream_build_phone_level_feature(os.path.abspath(args.gpt_sovits))
    word2ph = torch.tensor([2, 1, 4, 2, 3], dtype=torch.int32)
    res = torch.arange(5, dtype=torch.float).unsqueeze(1).repeat(1, 3)
    layout_ok = torch.equal(build(res, word2ph), torch.repeat_interleave(res, word2ph.long(), dim=0))

    figures = {
        "sentences": len(rows),
        "symbols_upstream": n_sym,
        "symbol_agreement": round(n_match / n_sym, 4),
        "sentences_equal": n_sent_equal,
        "sentence_agreement": round(n_sent_equal / len(rows), 4),
        "sentences_equal_without_marks": n_syl_equal_sent,
        "syllable_differences": dict(diff_kinds),
        "judged_by_hand_checked_pinyin": dict(who),
        "sentences_equal_by_category": {k: f"{v[1]}/{v[0]}" for k, v in sorted(by_category.items())},
        "bert_tokens_equal_runs": f"{n_tok_equal}/{n_tok_sent}",
        "bert_vocab": vocab,
        "features_equal": f"{n_feat_equal}/{n_feat}",
        "build_phone_level_feature_layout_equal": layout_ok,
    }
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"figures": figures, "differences": differences}, f, ensure_ascii=False, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
