"""Multi-speaker acoustic model: a non-causal phone encoder (runs once per sentence) and a causal
frame decoder that streams in chunks with its convolution caches carried as state.

Conditioning: the speaker is a vector of SPK_DIM numbers (a table row for the trained speakers; a
reference-audio encoder or an emotion/style vector can later produce the same input). Phones are
ids into the voice's phone list, so a bigger inventory (Mandarin phones + tones) only grows the
embedding table.
"""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvBlock(nn.Module):
    """Non-causal residual conv block for the phone encoder."""

    def __init__(self, dim: int, kernel: int, dilation: int, dropout: float):
        super().__init__()
        self.conv = nn.Conv1d(dim, dim, kernel, padding=dilation * (kernel - 1) // 2, dilation=dilation)
        self.norm = nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, T, C]
        y = F.relu(self.conv(x.transpose(1, 2))).transpose(1, 2)
        return self.norm(x + self.drop(y))


class Encoder(nn.Module):
    def __init__(self, n_phones: int, n_speakers: int, dim: int = 192, spk_dim: int = 64, layers: int = 5,
                 emo_dim: int = 0):
        super().__init__()
        self.phone = nn.Embedding(n_phones, dim)
        self.speakers = nn.Embedding(n_speakers, spk_dim)
        self.spk_in = nn.Linear(spk_dim, dim)
        self.spk_out = nn.Linear(spk_dim, dim)
        # Emotion (IndexTTS2's eight axes) enters like the speaker, before and after the conv stack;
        # zero-initialized so a model fine-tuned from one without emotion starts where it was.
        self.emo_dim = emo_dim
        self.emo_in = nn.Linear(max(emo_dim, 1), dim)
        self.emo_out = nn.Linear(max(emo_dim, 1), dim)
        for lin in (self.emo_in, self.emo_out):
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)
        dil = [1, 2, 4, 1, 2, 4, 1, 2][:layers]
        self.blocks = nn.ModuleList([ConvBlock(dim, 5, d, 0.1) for d in dil])
        self.dur = nn.ModuleList([ConvBlock(dim, 3, 1, 0.1), ConvBlock(dim, 3, 1, 0.1)])
        self.dur_out = nn.Linear(dim, 1)
        self.dur_scale = 1.0  # calibrated at export so predicted totals match the teachers

    def forward(self, phones: torch.Tensor, speaker: torch.Tensor,
                emotion: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """phones [B, T] int64, speaker [B, S], emotion [B, E] -> hidden [B, T, H], log(duration + 1) [B, T]."""
        x = self.phone(phones) + self.spk_in(speaker)[:, None, :]
        if emotion is not None and self.emo_dim > 0:
            x = x + self.emo_in(emotion)[:, None, :]
        for b in self.blocks:
            x = b(x)
        h = x + self.spk_out(speaker)[:, None, :]
        if emotion is not None and self.emo_dim > 0:
            h = h + self.emo_out(emotion)[:, None, :]
        d = h
        for b in self.dur:
            d = b(d)
        return h, self.dur_out(d)[..., 0]


class CausalBlock(nn.Module):
    """ConvNeXt-style block with a causal depthwise conv; its cache is the last (k-1)*d inputs."""

    def __init__(self, dim: int, kernel: int, dilation: int, mult: int = 2):
        super().__init__()
        self.ctx = (kernel - 1) * dilation
        self.dw = nn.Conv1d(dim, dim, kernel, dilation=dilation, groups=dim)
        self.norm = nn.LayerNorm(dim)
        self.pw1 = nn.Linear(dim, dim * mult)
        self.pw2 = nn.Linear(dim * mult, dim)

    def forward(self, x: torch.Tensor, cache: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        xc = torch.cat([cache, x.transpose(1, 2)], dim=2)  # [B, C, ctx + N]
        y = self.dw(xc).transpose(1, 2)
        y = self.pw2(F.gelu(self.pw1(self.norm(y))))
        return x + y, xc[:, :, xc.shape[2] - self.ctx:]


class Decoder(nn.Module):
    def __init__(self, in_dim: int, dim: int = 256, n_mels: int = 80, layers: int = 8, kernel: int = 5):
        super().__init__()
        self.inp = nn.Linear(in_dim, dim)
        dil = [1, 2, 4, 8, 1, 2, 4, 8, 1, 2][:layers]
        self.blocks = nn.ModuleList([CausalBlock(dim, kernel, d) for d in dil])
        self.norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, n_mels)
        self.dim = dim
        self.ctxs = [b.ctx for b in self.blocks]

    def initial_state(self, batch: int = 1) -> List[torch.Tensor]:
        w = self.out.weight
        return [torch.zeros(batch, self.dim, c, dtype=w.dtype, device=w.device) for c in self.ctxs]

    def forward(self, cond: torch.Tensor, state: List[torch.Tensor]) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """cond [B, N, H+1] -> mel [B, N, M]; exactly chunk-invariant."""
        x = self.inp(cond)
        new: List[torch.Tensor] = []
        i = 0
        for b in self.blocks:
            x, c = b(x, state[i])
            new.append(c)
            i += 1
        return self.out(self.norm(x)), new


def regulate(hidden: torch.Tensor, durs: torch.Tensor, n_frames: int) -> torch.Tensor:
    """Length regulation for training: hidden [B, T, H], durs [B, T] int frames ->
    cond [B, n_frames, H+1] (hidden of the frame's phone, position (i+0.5)/d inside it)."""
    B, T, H = hidden.shape
    out = hidden.new_zeros(B, n_frames, H + 1)
    for b in range(B):
        d = durs[b]
        idx = torch.repeat_interleave(torch.arange(T), d)
        n = min(int(idx.shape[0]), n_frames)
        starts = torch.cumsum(d, 0) - d
        pos = (torch.arange(idx.shape[0]) - starts[idx] + 0.5) / d[idx].clamp(min=1)
        out[b, :n, :H] = hidden[b, idx[:n]]
        out[b, :n, H] = pos[:n]
    return out


class AcousticModel(nn.Module):
    def __init__(self, n_phones: int, n_speakers: int, hid: int = 192, spk_dim: int = 64,
                 dec_dim: int = 256, n_mels: int = 80, enc_layers: int = 5, dec_layers: int = 8, emo_dim: int = 0):
        super().__init__()
        self.config = dict(n_phones=n_phones, n_speakers=n_speakers, hid=hid, spk_dim=spk_dim,
                           dec_dim=dec_dim, n_mels=n_mels, enc_layers=enc_layers, dec_layers=dec_layers,
                           emo_dim=emo_dim)
        self.encoder = Encoder(n_phones, n_speakers, hid, spk_dim, enc_layers, emo_dim)
        self.decoder = Decoder(hid + 1, dec_dim, n_mels, dec_layers)

    def forward(self, phones, speaker_ids, durs, n_frames, speaker=None, emotion=None):
        """speaker [B, S] (a speaker encoder's output) takes the place of the table rows."""
        spk = self.encoder.speakers(speaker_ids) if speaker is None else speaker
        h, logd = self.encoder(phones, spk, emotion)
        cond = regulate(h, durs, n_frames)
        mel, _ = self.decoder(cond, self.decoder.initial_state(phones.shape[0]))
        return mel, logd
