#!/usr/bin/python3
"""Exports the trained checkpoints as the ttsd voice package (voice.json + TorchScript stages) and
checks it: streaming vs whole-utterance equality of the acoustic and vocoder stages.

  /usr/bin/python3 models/train/export.py [--out models/voices/ttsd-en] [--default rms]
"""
import argparse
import json
import math
import os
import sys
from typing import List, Tuple

import numpy as np
import torch
import torch.nn as nn

from acoustic import AcousticModel, Decoder, Encoder
from audio import FMAX, FMIN, HOP, N_MELS, SR
from common import WORK, Cache, setup_threads
from style import MelFront, RefEncoder
from vocoder import DELAY, Vocoder

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus"))
import phones as ph  # noqa: E402


class ExportEncoder(nn.Module):
    def __init__(self, enc: Encoder, order: List[int], dur_scale: float, table=None):
        super().__init__()
        self.enc = enc
        rows = enc.speakers.weight.data[order] if table is None else table
        self.table = nn.Parameter(rows.clone(), requires_grad=False)
        self.dur_scale = dur_scale

    @torch.jit.export
    def speaker_embedding(self, speaker_id: torch.Tensor) -> torch.Tensor:
        return self.table[speaker_id]

    def forward(self, phones: torch.Tensor, speaker: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        h, logd = self.enc(phones, speaker)
        return h, torch.clamp(torch.exp(logd) - 1.0, min=0.0) * self.dur_scale


class ExportStyleEncoder(ExportEncoder):
    """Encoder with the emotion input (IndexTTS2's eight axes)."""

    def forward(self, phones: torch.Tensor, speaker: torch.Tensor,
                emotion: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        h, logd = self.enc(phones, speaker, emotion)
        return h, torch.clamp(torch.exp(logd) - 1.0, min=0.0) * self.dur_scale


class ExportRefEncoder(nn.Module):
    """Reference audio [1, L] -> speaker vector [1, S], or emotion axes [1, 8] (sigmoid)."""

    def __init__(self, enc, sigmoid: bool):
        super().__init__()
        self.front = MelFront()
        self.enc = enc
        self.sigmoid = sigmoid

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        y = self.enc(self.front(audio))
        return torch.sigmoid(y) if self.sigmoid else y


class ExportAcoustic(nn.Module):
    def __init__(self, dec: Decoder):
        super().__init__()
        self.dec = dec

    @torch.jit.export
    def initial_state(self) -> List[torch.Tensor]:
        return self.dec.initial_state(1)

    def forward(self, cond: torch.Tensor, state: List[torch.Tensor]) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        if cond.shape[1] == 0:
            return cond.new_zeros(1, 0, self.dec.out.out_features), state
        return self.dec(cond, state)


class ExportVocoder(nn.Module):
    def __init__(self, voc: Vocoder):
        super().__init__()
        self.voc = voc

    @torch.jit.export
    def initial_state(self) -> List[torch.Tensor]:
        return self.voc.initial_state(1)

    def forward(self, mel: torch.Tensor, state: List[torch.Tensor]) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        if mel.shape[1] == 0:
            return mel.new_zeros(1, 0), state
        audio, st = self.voc(mel, state)
        return torch.clamp(audio, -1.0, 1.0), st

    @torch.jit.export
    def flush(self, state: List[torch.Tensor]) -> torch.Tensor:
        return torch.clamp(self.voc.flush(state), -1.0, 1.0)


def engine_frames(durs, speed=1.0):
    """The engine's rounding: cumulative, every phone at least one frame."""
    out, acc, prev = [], 0.0, 0
    for d in durs:
        acc += float(d) / speed
        end = max(prev + 1, int(math.floor(acc + 0.5)))
        out.append(end - prev)
        prev = end
    return out


def calibrate(model, cache, ids, speaker_vec=None):
    """Scale for predicted durations so that the engine's rounded totals match the teachers'."""
    preds, totals = [], 0
    with torch.no_grad():
        for i in ids:
            p, d, _, s = cache.utt(i)
            spk = model.encoder.speakers(torch.tensor([s])) if speaker_vec is None else speaker_vec(s)
            emo = torch.zeros(1, 8) if model.encoder.emo_dim else None
            _, logd = model.encoder(torch.from_numpy(p)[None], spk, emo)
            preds.append(torch.clamp(torch.exp(logd[0]) - 1, min=0).numpy())
            totals += int(d.sum())
    lo, hi = 0.5, 2.0
    for _ in range(30):
        mid = (lo + hi) / 2
        n = sum(sum(engine_frames(pd * mid)) for pd in preds)
        lo, hi = (mid, hi) if n < totals else (lo, mid)
    return (lo + hi) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=os.path.join(WORK, "cache"))
    ap.add_argument("--acoustic", default=os.path.join(WORK, "acoustic", "acoustic.pt"))
    ap.add_argument("--vocoder", default=os.path.join(WORK, "vocoder", "vocoder.pt"))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "voices", "ttsd-en"))
    ap.add_argument("--name", default="ttsd-en")
    ap.add_argument("--default", default="", help="speaker to list first (the default)")
    ap.add_argument("--speakers", default="", help="comma list of speakers to ship (default all)")
    args = ap.parse_args()
    setup_threads()
    ca = torch.load(args.acoustic)
    cv = torch.load(args.vocoder)
    am = AcousticModel(**ca["config"])
    am.load_state_dict(ca["model"])
    am.eval()
    voc = Vocoder(**cv["config"])
    voc.load_state_dict(cv["model"])
    voc.eval()
    names = list(ca["speakers"])
    cache = Cache(args.cache)
    present = sorted({u["speaker_id"] for u in cache.utts})  # speakers the corpus actually has
    ship = args.speakers.split(",") if args.speakers else [names[i] for i in present]
    if args.default:
        ship = [args.default] + [n for n in ship if n != args.default]
    order = [names.index(n) for n in ship]
    _, val = cache.split()
    scale = calibrate(am, cache, val[:80] or list(range(min(4, len(cache.utts)))))
    print("duration scale %.4f" % scale)
    os.makedirs(args.out, exist_ok=True)
    for f in os.listdir(args.out):  # stale stages of an earlier export
        if f.endswith((".ts", ".pt")) or f == "voice.json":
            os.remove(os.path.join(args.out, f))
    enc = torch.jit.script(ExportEncoder(am.encoder, order, scale))
    aco = torch.jit.script(ExportAcoustic(am.decoder))
    vo = torch.jit.script(ExportVocoder(voc))
    enc.save(os.path.join(args.out, "encoder.ts"))
    aco.save(os.path.join(args.out, "acoustic.ts"))
    vo.save(os.path.join(args.out, "vocoder.ts"))
    manifest = {
        "format_version": 1, "name": args.name,
        "description": "ttsd default English voice: %d speakers learnt from flite, festival and hts_engine "
                       "voices; causal conv acoustic model + causal Vocos-style vocoder, 16 kHz." % len(ship),
        "languages": ["en-us"], "sample_rate": SR, "hop_samples": HOP, "audio_delay_samples": DELAY,
        "mel_bins": N_MELS,
        "mel_fmin": FMIN, "mel_fmax": FMAX,
        "speakers": ship, "phonemes": ph.INVENTORY, "acoustic_type": "streaming", "batching": True,
        "stages": {"encoder": {"file": "encoder.ts"}, "acoustic": {"file": "acoustic.ts"},
                   "vocoder": {"file": "vocoder.ts"}},
        "training": {"acoustic_steps": ca["step"], "acoustic_minutes": round(ca["train_seconds"] / 60, 1),
                     "vocoder_steps": cv["step"], "vocoder_minutes": round(cv["train_seconds"] / 60, 1),
                     "duration_scale": round(scale, 4)},
    }
    with open(os.path.join(args.out, "voice.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    check(args.out)


def check(out):
    """Loads the package as the engine would and checks chunk invariance; prints the size."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "eval"))
    from package import Package
    pk = Package(out)
    phones = torch.tensor([[ph.PHONE_ID[p] for p in ph.text_to_phones("Hello there, this is a check.")]])
    with torch.no_grad():
        spk = pk.encoder.speaker_embedding(torch.tensor([0]))
        hidden, durs = pk.encode(phones, spk)
        cond = pk.conditions(hidden, durs, 1.0)
        whole, _ = pk.acoustic(cond, pk.acoustic.initial_state())
        chunked = pk.run_acoustic(cond)
        a_diff = float((whole - chunked).abs().max())
        w_audio, st = pk.vocoder(whole, pk.vocoder.initial_state())
        w_audio = torch.cat([w_audio, pk.vocoder.flush(st)], 1)
        c_audio = pk.run_vocoder(whole)
        v_diff = float((w_audio - c_audio).abs().max())
    size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print("check: %d frames; acoustic chunked vs whole max diff %.2e; vocoder %.2e (limit 1e-3); "
          "package %.1f MB" % (cond.shape[1], a_diff, v_diff, size / 1e6))
    assert a_diff <= 1e-4 and v_diff <= 1e-3, "stages are not chunk-invariant"
    assert size <= 40e6, "package over 40 MB"
    return a_diff, v_diff, size


if __name__ == "__main__":
    main()
