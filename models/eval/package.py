"""Python synthesis through an exported voice package, the way the C++ engine drives it:
encoder once per sentence, durations rounded cumulatively (>= 1 frame per phone), acoustic and
vocoder stages fed in chunks of 4 frames then 24, vocoder flushed at the end."""
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus"))
import phones as ph  # noqa: E402


class Package:
    def __init__(self, path, chunks=(4, 24)):
        self.path = path
        self.manifest = json.load(open(os.path.join(path, "voice.json")))
        st = self.manifest["stages"]
        self.encoder = torch.jit.load(os.path.join(path, st["encoder"]["file"]))
        self.acoustic = torch.jit.load(os.path.join(path, st["acoustic"]["file"]))
        self.vocoder = torch.jit.load(os.path.join(path, st["vocoder"]["file"]))
        self.chunks = chunks
        self.speakers = self.manifest["speakers"]
        self.phone_id = {p: i for i, p in enumerate(self.manifest["phonemes"])}
        self.emotion_axes = self.manifest.get("emotion_axes", [])
        self.optional = {k: torch.jit.load(os.path.join(path, st[k]["file"]))
                         for k in ("speaker_encoder", "emotion_encoder", "emotion_text") if k in st}

    def encode(self, ids, spk, emotion=None):
        """Runs the encoder stage, with a neutral emotion vector for voices that take one."""
        if not self.emotion_axes:
            return self.encoder(ids, spk)
        if emotion is None:
            emotion = torch.zeros(1, len(self.emotion_axes))
        return self.encoder(ids, spk, emotion)

    @staticmethod
    def conditions(hidden, durs, speed):
        frames, acc, prev = [], 0.0, 0
        for d in durs[0].tolist():
            acc += d / speed
            end = max(prev + 1, int(math.floor(acc + 0.5)))
            frames.append(end - prev)
            prev = end
        rows = []
        for k, n in enumerate(frames):
            pos = (torch.arange(n, dtype=torch.float32) + 0.5) / n
            rows.append(torch.cat([hidden[0, k].expand(n, -1), pos[:, None]], 1))
        return torch.cat(rows, 0)[None]

    def _chunked(self, stage, x):
        st = stage.initial_state()
        outs, i, k = [], 0, 0
        while i < x.shape[1]:
            n = self.chunks[min(k, len(self.chunks) - 1)]
            y, st = stage(x[:, i:i + n], st)
            outs.append(y)
            i, k = i + n, k + 1
        return torch.cat(outs, 1), st

    def run_acoustic(self, cond):
        return self._chunked(self.acoustic, cond)[0]

    def run_vocoder(self, mel):
        audio, st = self._chunked(self.vocoder, mel)
        return torch.cat([audio, self.vocoder.flush(st)], 1)

    def synthesize(self, text, speaker=None, speed=1.0, speaker_vec=None, emotion=None):
        """Returns float32 audio (numpy) at the package's sample rate."""
        sid = self.speakers.index(speaker) if speaker else 0
        ids = torch.tensor([[self.phone_id[p] for p in ph.text_to_phones(text)]])
        with torch.no_grad():
            spk = self.encoder.speaker_embedding(torch.tensor([sid])) if speaker_vec is None else speaker_vec
            hidden, durs = self.encode(ids, spk, emotion)
            mel = self.run_acoustic(self.conditions(hidden, durs, speed))
            return self.run_vocoder(mel)[0].numpy()
