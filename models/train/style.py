"""Reference encoders for zero-shot voices and emotion from audio.

RefEncoder: log-mel frames -> one vector (conv stack, attentive statistics pooling). Trained as the
speaker encoder (output = the acoustic model's speaker vector) and as the emotion encoder (eight
sigmoid axes). MelFront turns raw audio into the log-mels they were trained on, in TorchScript,
so the exported stages take audio straight from the engine.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from audio import HOP, LOG_FLOOR, N_FFT, WIN, mel_filterbank


class MelFront(nn.Module):
    """audio [1, L] at 16 kHz -> log-mel [1, N, 80], loudness normalized like the corpus."""

    def __init__(self):
        super().__init__()
        self.register_buffer("fb", mel_filterbank())
        self.register_buffer("window", torch.hann_window(WIN))
        self.hop = HOP
        self.n_fft = N_FFT
        self.win = WIN
        self.floor = LOG_FLOOR

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        n = audio.shape[-1] // self.hop
        x = audio[:, : n * self.hop]
        # Corpus audio has an RMS of 0.06 over the whole utterance; match it on the louder frames.
        frames = x.reshape(n, self.hop)
        rms = frames.pow(2).mean(1).sqrt()
        loud = rms[rms > 0.1 * rms.max()]
        level = loud.pow(2).mean().sqrt() if loud.numel() > 0 else rms.mean()
        x = x * (0.06 / torch.clamp(level, min=1e-5))
        left = self.n_fft // 2 - self.hop // 2
        x = F.pad(x, (left, self.n_fft))
        spec = torch.stft(x, self.n_fft, self.hop, self.win, self.window, center=False, return_complex=True)
        mag = spec.abs()[..., :n]
        mel = torch.matmul(self.fb, mag)
        return torch.log(torch.clamp(mel, min=self.floor)).transpose(1, 2)


class RefEncoder(nn.Module):
    def __init__(self, out_dim: int, ch: int = 192, layers: int = 4, n_mels: int = 80):
        super().__init__()
        self.inp = nn.Conv1d(n_mels, ch, 5, padding=2)
        dil = [1, 2, 4, 8, 1, 2][:layers]
        self.convs = nn.ModuleList([nn.Conv1d(ch, ch, 5, padding=2 * d, dilation=d) for d in dil])
        self.norms = nn.ModuleList([nn.GroupNorm(1, ch) for _ in dil])
        self.att = nn.Conv1d(ch, 1, 1)
        self.out = nn.Linear(2 * ch, out_dim)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """mel [B, N, 80] log-mel -> [B, out_dim]."""
        x = F.relu(self.inp(((mel + 5.0) / 3.0).transpose(1, 2)))
        for conv, norm in zip(self.convs, self.norms):
            x = x + F.relu(norm(conv(x)))
        w = torch.softmax(self.att(x), dim=2)  # [B, 1, N]
        mean = (x * w).sum(2)
        std = torch.sqrt(torch.clamp((x * x * w).sum(2) - mean * mean, min=1e-6))
        return self.out(torch.cat([mean, std], 1))


class GradReverse(torch.autograd.Function):
    """Identity forward, -scale * gradient backward (Ganin & Lempitsky 2015)."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.scale * grad, None
