"""Audio constants and the log-mel analysis shared by corpus, training, export and evaluation.

Frame i of an utterance describes samples [i*HOP, (i+1)*HOP): its analysis window is centred at
i*HOP + HOP/2. An utterance of L samples has L // HOP frames.
"""
import math

import torch

SR = 16000
HOP = 200
N_FFT = 1024
WIN = 800
N_MELS = 80
FMIN, FMAX = 0.0, 8000.0
LOG_FLOOR = 1e-5


def _hz_to_mel(f):
    return 2595.0 * math.log10(1.0 + f / 700.0)


def _mel_to_hz(m):
    return 700.0 * (10 ** (m / 2595.0) - 1.0)


def mel_filterbank(n_fft=N_FFT, n_mels=N_MELS, sr=SR, fmin=FMIN, fmax=FMAX):
    """[n_mels, n_fft//2+1] triangular filters on the HTK mel scale, area-normalized (Slaney)."""
    n_bins = n_fft // 2 + 1
    freqs = torch.linspace(0, sr / 2, n_bins, dtype=torch.float64)
    mpts = torch.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2, dtype=torch.float64)
    hz = torch.tensor([_mel_to_hz(float(m)) for m in mpts], dtype=torch.float64)
    fb = torch.zeros(n_mels, n_bins, dtype=torch.float64)
    for i in range(n_mels):
        lo, c, hi = hz[i], hz[i + 1], hz[i + 2]
        up = (freqs - lo) / (c - lo)
        down = (hi - freqs) / (hi - c)
        fb[i] = torch.clamp(torch.minimum(up, down), min=0) * (2.0 / (hi - lo))
    return fb.float()


_FB = {}


def log_mel(audio):
    """audio: [B, L] float in -1..1 (L a multiple of HOP) -> [B, L//HOP, N_MELS] log-mel."""
    key = str(audio.device)
    if key not in _FB:
        _FB[key] = (mel_filterbank().to(audio.device), torch.hann_window(WIN, device=audio.device))
    fb, win = _FB[key]
    n = audio.shape[-1] // HOP
    left = N_FFT // 2 - HOP // 2
    x = torch.nn.functional.pad(audio[:, : n * HOP], (left, N_FFT))
    spec = torch.stft(x, N_FFT, HOP, WIN, win, center=False, return_complex=True)[..., :n]
    mag = spec.abs()
    mel = torch.matmul(fb, mag)  # [B, M, n]
    return torch.log(torch.clamp(mel, min=LOG_FLOOR)).transpose(1, 2)


def blas_info():
    try:
        import os
        link = os.path.realpath("/etc/alternatives/libblas.so.3-x86_64-linux-gnu")
        return link
    except Exception as e:  # noqa
        return "unknown (%s)" % e


if __name__ == "__main__":
    x = torch.randn(1, 16000) * 0.1
    m = log_mel(x)
    print(m.shape, float(m.mean()), blas_info())
