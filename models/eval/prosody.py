"""Prosody measures for the style evaluation: F0 (YIN), energy, spectral tilt, speaking rate.

  from prosody import measure
  m = measure(audio, 16000)   # {"f0_median", "f0_range_st", "energy_db", "tilt_db", "voiced_s", ...}
"""
import numpy as np


def f0_track(x, sr, fmin=55.0, fmax=500.0, hop=160, win=800, threshold=0.15, fallback=0.4):
    """YIN (de Cheveigné & Kawahara 2002) F0 per hop; 0 where unvoiced. The first dip under
    `threshold` wins (as in YIN); with none, the global minimum if it is under `fallback` (breathy
    vocoded speech rarely dips as deep as clean speech, and a looser first-dip threshold makes
    octave-up errors)."""
    x = np.asarray(x, np.float64)
    tmin, tmax = int(sr / fmax), int(sr / fmin)
    out = []
    for start in range(0, len(x) - win - tmax, hop):
        frame = x[start:start + win + tmax]
        if np.sqrt(np.mean(frame[:win] ** 2)) < 0.01:
            out.append(0.0)
            continue
        # Difference function via autocorrelation identities, over lags 0..tmax.
        w = frame[:win]
        d = np.empty(tmax + 1)
        e0 = np.sum(w * w)
        for tau in range(tmax + 1):
            s = frame[tau:tau + win]
            d[tau] = e0 + np.sum(s * s) - 2 * np.dot(w, s)
        cmnd = np.ones_like(d)
        cum = np.cumsum(d[1:])
        cmnd[1:] = d[1:] * np.arange(1, tmax + 1) / np.maximum(cum, 1e-12)
        tau = tmin
        while tau < tmax and cmnd[tau] >= threshold:
            tau += 1
        if tau >= tmax:
            tau = tmin + int(np.argmin(cmnd[tmin:tmax]))
            if cmnd[tau] >= fallback:
                out.append(0.0)
                continue
        while tau + 1 < tmax and cmnd[tau + 1] < cmnd[tau]:
            tau += 1
        # Parabolic interpolation around the minimum.
        a, b, c = cmnd[tau - 1], cmnd[tau], cmnd[tau + 1]
        den = a - 2 * b + c
        shift = 0.5 * (a - c) / den if abs(den) > 1e-12 else 0.0
        out.append(sr / (tau + shift))
    return np.array(out)


def measure(x, sr):
    x = np.asarray(x, np.float64)
    f0 = f0_track(x, sr)
    voiced = f0[f0 > 0]
    if len(voiced):  # fold octave errors (a tracker's, or a teacher's pitch doubling) around the median
        med = np.median(voiced)
        voiced = np.where(voiced > 1.6 * med, voiced / 2, np.where(voiced < 0.62 * med, voiced * 2, voiced))
    st = 12 * np.log2(voiced / 100.0) if len(voiced) else np.array([0.0])
    frames = x[: len(x) // 400 * 400].reshape(-1, 400)
    rms = np.sqrt(np.mean(frames ** 2, 1))
    active = rms > max(0.01, 0.1 * rms.max())
    energy_db = 20 * np.log10(np.mean(rms[active]) + 1e-9) if active.any() else -120.0
    spec = np.abs(np.fft.rfft(frames[active] * np.hanning(400), axis=1)) ** 2 if active.any() else None
    tilt = 0.0
    if spec is not None:
        freqs = np.fft.rfftfreq(400, 1 / sr)
        lo = spec[:, (freqs >= 100) & (freqs < 1000)].sum()
        hi = spec[:, (freqs >= 1000) & (freqs < 4000)].sum()
        tilt = 10 * np.log10(hi / max(lo, 1e-12))
    return {
        "f0_median": float(np.median(voiced)) if len(voiced) else 0.0,
        "f0_range_st": float(np.percentile(st, 90) - np.percentile(st, 10)),
        "energy_db": float(energy_db),
        "tilt_db": float(tilt),
        "active_s": float(active.sum() * 400 / sr),
        "seconds": len(x) / sr,
    }
