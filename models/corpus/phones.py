"""The 76-phone inventory of the C++ frontend, flite's CMU lexicon through ctypes, and the
mapping of a teacher's phone string onto the inventory (stress digits from the lexicon)."""
import ctypes
import re

CONSONANTS = ("b ch d dh f g hh jh k l m n ng p r s sh t th v w y z zh").split()
VOWELS = ("aa ae ah ao aw ax axr ay eh er ey ih iy ow oy uh uw").split()
INVENTORY = ["pau"] + CONSONANTS + [v + s for v in VOWELS for s in "012"]
PHONE_ID = {p: i for i, p in enumerate(INVENTORY)}
assert len(INVENTORY) == 76

# Teacher phone names outside the inventory (festival radio/darpa sets) -> inventory names.
TEACHER_MAP = {"h#": "pau", "#": "pau", "sil": "pau", "ssil": "pau", "brth": "pau", "dx": "t",
               "nx": "n", "hv": "hh", "ix": "ih", "ux": "uw", "el": "ax l", "em": "ax m",
               "en": "ax n", "q": "", "ax-h": "ax"}

_lex = None


class _Lexicon:
    def __init__(self):
        self.fl = ctypes.CDLL("libflite.so.1", mode=ctypes.RTLD_GLOBAL)
        cl = ctypes.CDLL("libflite_cmulex.so.1", mode=ctypes.RTLD_GLOBAL)
        cl.cmu_lex_init.restype = ctypes.c_void_p
        self.lex = cl.cmu_lex_init()
        fl = self.fl
        fl.lex_lookup.restype = ctypes.c_void_p
        fl.lex_lookup.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p]
        for name in ("val_car", "val_cdr"):
            getattr(fl, name).restype = ctypes.c_void_p
            getattr(fl, name).argtypes = [ctypes.c_void_p]
        fl.val_string.restype = ctypes.c_char_p
        fl.val_string.argtypes = [ctypes.c_void_p]
        fl.delete_val.argtypes = [ctypes.c_void_p]
        self.cache = {}

    def lookup(self, word):
        if word not in self.cache:
            v = self.fl.lex_lookup(self.lex, word.encode(), None, None)
            out, p = [], v
            while p:
                out.append(self.fl.val_string(self.fl.val_car(p)).decode())
                p = self.fl.val_cdr(p)
            self.fl.delete_val(v)
            self.cache[word] = out
        return self.cache[word]


def word_phones(word):
    global _lex
    if _lex is None:
        _lex = _Lexicon()
    return [p if p in PHONE_ID else _fix(p) for p in _lex.lookup(word)]


def _fix(p):
    base = re.sub(r"\d", "", p)
    if base in VOWELS:
        return base + (re.sub(r"\D", "", p)[:1] or "1")
    return base


def words_of(text):
    return [w.strip("'") for w in re.findall(r"[a-z']+", text.lower()) if w.strip("'")]


def text_to_phones(text):
    """Python mirror of the C++ frontend for plain text: pau at start, end and , ; : ( ) dashes."""
    out = ["pau"]
    for tok in re.findall(r"[A-Za-z']+|[,;:()]|--|\s-\s", text):
        if re.match(r"[A-Za-z']", tok):
            w = tok.lower().strip("'")
            if w:
                out += word_phones(w)
        elif out[-1] != "pau":
            out.append("pau")
    if out[-1] != "pau":
        out.append("pau")
    return out


def _base(p):
    return re.sub(r"\d", "", p)


def map_teacher(text, teacher):
    """teacher: list of (name, dur_s). Returns list of (inventory phone, dur_s), vowels stressed
    by aligning the teacher's phones to the lexicon phones of the text's words."""
    seq = []
    for name, dur in teacher:
        name = name.lower()
        m = TEACHER_MAP.get(name, name)
        parts = m.split()
        for part in parts:
            seq.append([part, dur / len(parts)])
        if not parts and seq:
            seq[-1][1] += dur
    lexp = [p for w in words_of(text) for p in word_phones(w)]
    # Edit-distance alignment between the teacher's non-pause phones and the lexicon phones.
    idx = [i for i, (p, _) in enumerate(seq) if p != "pau"]
    a = [_base(seq[i][0]) for i in idx]
    b = [_base(p) for p in lexp]
    n, m = len(a), len(b)
    D = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        D[i][0] = i
    for j in range(m + 1):
        D[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            sub = 0 if a[i - 1] == b[j - 1] else (1 if (a[i - 1] in VOWELS) == (b[j - 1] in VOWELS) else 2)
            D[i][j] = min(D[i - 1][j - 1] + sub, D[i - 1][j] + 1, D[i][j - 1] + 1)
    stress = {}
    i, j = n, m
    while i > 0 and j > 0:
        sub = 0 if a[i - 1] == b[j - 1] else (1 if (a[i - 1] in VOWELS) == (b[j - 1] in VOWELS) else 2)
        if D[i][j] == D[i - 1][j - 1] + sub:
            if a[i - 1] in VOWELS and b[j - 1] in VOWELS:
                stress[i - 1] = lexp[j - 1][-1]
            i, j = i - 1, j - 1
        elif D[i][j] == D[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    out = []
    for k, i in enumerate(idx):
        p = seq[i][0]
        if p in VOWELS:
            seq[i][0] = p + stress.get(k, "0" if p in ("ax", "axr") else "1")
    for p, d in seq:
        if p not in PHONE_ID:
            raise ValueError("unmapped teacher phone %r" % p)
        if p == "pau" and out and out[-1][0] == "pau":
            out[-1][1] += d
        else:
            out.append([p, d])
    return [(p, d) for p, d in out], D[n][m]


if __name__ == "__main__":
    print(text_to_phones("Hello there, the quick brown fox (really) jumps."))
    t = [("pau", .1), ("hh", .1), ("ax", .05), ("l", .1), ("ow", .2), ("dh", .05), ("eh", .1), ("r", .1), ("pau", .2)]
    print(map_teacher("Hello there.", t))
