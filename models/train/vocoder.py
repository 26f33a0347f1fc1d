"""Causal Vocos-style vocoder: ConvNeXt blocks over mel frames predict, per frame, the STFT
magnitude and phase of an N_FFT window; inverse FFT + overlap-add make the audio. The streaming
state holds the conv caches and the overlap-add tail, so any chunking gives the same samples.

Frame j's window covers output samples [j*HOP, j*HOP + N_FFT); after a chunk the first N*HOP
samples are final. The output lags the analysed audio by N_FFT/2 - HOP/2 samples (300 = 18.75 ms).
"""
from typing import List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from acoustic import CausalBlock

V_NFFT = 800
V_HOP = 200
DELAY = V_NFFT // 2 - V_HOP // 2
MEL_SILENCE = -11.5  # log(1e-5): what an all-silent mel frame looks like


class Vocoder(nn.Module):
    def __init__(self, n_mels: int = 80, dim: int = 192, layers: int = 8, kernel: int = 7):
        super().__init__()
        self.config = dict(n_mels=n_mels, dim=dim, layers=layers, kernel=kernel)
        self.n_mels = n_mels
        self.dim = dim
        self.k_in = kernel
        self.inp = nn.Conv1d(n_mels, dim, kernel)
        self.blocks = nn.ModuleList([CausalBlock(dim, kernel, 1, 3) for _ in range(layers)])
        self.norm = nn.LayerNorm(dim)
        self.n_bins = V_NFFT // 2 + 1
        self.out = nn.Linear(dim, 2 * self.n_bins)
        self.register_buffer("window", torch.hann_window(V_NFFT))
        self.ctxs = [b.ctx for b in self.blocks]
        self.n_fft = V_NFFT
        self.hop = V_HOP
        self.silence = MEL_SILENCE

    def initial_state(self, batch: int = 1) -> List[torch.Tensor]:
        w = self.window
        st = [torch.full((batch, self.n_mels, self.k_in - 1), self.silence, dtype=w.dtype, device=w.device)]
        st += [torch.zeros(batch, self.dim, c, dtype=w.dtype, device=w.device) for c in self.ctxs]
        st.append(torch.zeros(batch, self.n_fft - self.hop, dtype=w.dtype, device=w.device))
        return st

    def forward(self, mel: torch.Tensor, state: List[torch.Tensor]) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """mel [B, N, M] -> audio [B, N*HOP], new state."""
        B, N = mel.shape[0], mel.shape[1]
        xin = torch.cat([state[0], mel.transpose(1, 2)], dim=2)
        new: List[torch.Tensor] = [xin[:, :, xin.shape[2] - (self.k_in - 1):]]
        x = self.inp((xin + 5.0) / 3.0).transpose(1, 2)
        i = 1
        for b in self.blocks:
            x, c = b(x, state[i])
            new.append(c)
            i += 1
        y = self.out(self.norm(x))
        logmag = torch.clamp(y[..., : self.n_bins], max=7.0)
        phase = y[..., self.n_bins:]
        mag = torch.exp(logmag)
        spec = torch.complex(mag * torch.cos(phase), mag * torch.sin(phase))
        frames = torch.fft.irfft(spec, n=self.n_fft) * self.window  # [B, N, NFFT]
        total = (N - 1) * self.hop + self.n_fft
        ola = F.fold(frames.transpose(1, 2), (1, total), (1, self.n_fft), stride=(1, self.hop))[:, 0, 0, :]
        tail = state[len(state) - 1]
        ola = torch.cat([ola[:, : self.n_fft - self.hop] + tail, ola[:, self.n_fft - self.hop:]], dim=1)
        new.append(ola[:, N * self.hop:])
        return ola[:, : N * self.hop], new

    def flush(self, state: List[torch.Tensor]) -> torch.Tensor:
        return state[len(state) - 1]
