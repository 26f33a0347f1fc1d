#!/usr/bin/env python3
"""Python-side reference outputs of upstream's code for a GPT-SoVITS v2Pro package (bench/gpt-sovits-check).

Run from the upstream checkout root with upstream's module path and the offline shim (README.md here).

Text: upstream's own frontend, text.cleaner.clean_text(text, "en", "v2") then text.cleaned_text_to_sequence.
Modules: the package's EXPORTED TorchScript files (torch.jit.load), CPU, fp32, torch.set_num_threads(2).
Reference (spec §9 as ttsd does it): reference.wav (32 kHz s16) / 32768 -> ref32 [1, N];
  ref16 = ssl.resample(ref32, 32000, 16000); ref16 += 9600 zeros (upstream's int(32000 * 0.3) at 16 kHz);
  prompts = vits.extract_latent(ssl.forward(ref16)); refer, sv_emb = vits.ref_handle(ref32).
Decoding (stream_v2pro.py's loop): torch.manual_seed(0); pre_infer(prompts, ref_seq, text_seq,
  zeros[Nr,1024], zeros[Nt,1024], top_k=1); idx = 1..1500: forward(idx, 1, P, y, xy_pos, K, V) until
  last == 1024; tokens = y[0, P:].
Audio: torch.manual_seed(0); vits.forward(tokens.view(1, 1, T), text_seq, refer, sv_emb) -> .f32 (LE float32).
"""
import argparse
import json
import os
import sys
import time
import wave

import numpy as np
import torch

SENTENCES = [
    ("hello", "Hello world."),
    ("fox", "The quick brown fox jumps over the lazy dog."),
    ("later", "Please try again later, thank you."),
]
TIMED = "fox"
MAX_IDX = 1500


def stats(t):
    t = t.detach().float().reshape(-1)
    return {"shape": None, "sum": float(t.sum()), "abs_sum": float(t.abs().sum()), "first8": [float(v) for v in t[:8]]}


def tstats(t):
    s = stats(t)
    s["shape"] = list(t.shape)
    s["dtype"] = str(t.dtype).replace("torch.", "")
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pkg", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    torch.set_num_threads(2)
    os.makedirs(args.out, exist_ok=True)

    from text.cleaner import clean_text
    from text import cleaned_text_to_sequence

    man = json.load(open(os.path.join(args.pkg, "voice.json")))
    symbols = json.load(open(os.path.join(args.pkg, man["symbols_file"])))
    t0 = time.time()
    t2s = torch.jit.load(os.path.join(args.pkg, man["t2s_file"]), map_location="cpu")
    vits = torch.jit.load(os.path.join(args.pkg, man["vits_file"]), map_location="cpu")
    ssl = torch.jit.load(os.path.join(args.pkg, man["ssl_file"]), map_location="cpu")
    load_s = time.time() - t0

    def phonemise(text):
        phones, _, norm = clean_text(text, "en", "v2")
        ids = cleaned_text_to_sequence(phones, "v2")
        assert all(symbols[i] == p for i, p in zip(ids, phones))
        return phones, ids, norm

    ref_phones, ref_ids, ref_norm = phonemise(man["reference_text"])
    with wave.open(os.path.join(args.pkg, man["reference_audio"]), "rb") as w:
        assert w.getframerate() == 32000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    with torch.no_grad():
        ref32 = torch.from_numpy(pcm.astype(np.float32) / 32768.0).unsqueeze(0)
        t0 = time.time()
        ref16 = ssl.resample(ref32, 32000, 16000)
        ref16 = torch.cat([ref16, torch.zeros(1, 9600)], 1)
        ssl_out = ssl.forward(ref16)
        prompts = vits.extract_latent(ssl_out)
        refer, sv_emb = vits.ref_handle(ref32)
        ref_s = time.time() - t0
    P = prompts.shape[1]
    ref_info = {
        "reference_text": man["reference_text"], "ref_norm_text": ref_norm, "ref_phones": ref_phones,
        "ref_seq": ref_ids, "ref_pad_16k_zeros": 9600, "P": P, "prompts": prompts[0].tolist(),
        "ref32": tstats(ref32), "ref16_padded": tstats(ref16), "ssl": tstats(ssl_out), "refer": tstats(refer),
        "sv_emb": tstats(sv_emb), "reference_pipeline_s": ref_s,
    }
    json.dump(ref_info, open(os.path.join(args.out, "reference.json"), "w"), indent=1)

    timing = None
    for key, text in SENTENCES:
        if args.only and key not in args.only:
            continue
        phones, ids, norm = phonemise(text)
        ref_seq = torch.LongTensor([ref_ids])
        text_seq = torch.LongTensor([ids])
        ref_bert = torch.zeros(len(ref_ids), 1024)
        text_bert = torch.zeros(len(ids), 1024)
        step_times = []
        with torch.no_grad():
            torch.manual_seed(0)
            t0 = time.perf_counter()
            y_len, y, xy_pos, k, v = t2s.pre_infer(prompts, ref_seq, text_seq, ref_bert, text_bert, 1)
            first_token_s = time.perf_counter() - t0
            eos_idx = None
            idx = 1
            t_loop = time.perf_counter()
            while idx <= MAX_IDX:
                ts = time.perf_counter()
                y, xy_pos, last, k, v = t2s.forward(idx, 1, y_len, y, xy_pos, k, v)
                step_times.append(time.perf_counter() - ts)
                if last == 1024:
                    eos_idx = idx
                    break
                idx += 1
            loop_s = time.perf_counter() - t_loop
            tokens = y[0, y_len:]
            T = tokens.shape[0]
            torch.manual_seed(0)
            t0 = time.perf_counter()
            audio = vits.forward(tokens.view(1, 1, T), text_seq, refer, sv_emb)
            vits_s = time.perf_counter() - t0
        audio = audio.float()
        assert audio.shape[0] == T * 1280, (audio.shape, T)
        f32 = "case-%s.f32" % key
        audio.numpy().astype("<f4").tofile(os.path.join(args.out, f32))
        case = {
            "text": text, "norm_text": norm, "phones": phones, "text_seq": ids,
            "ref_phones": ref_phones, "ref_seq": ref_ids, "ref_pad_16k_zeros": 9600,
            "P": P, "prompts": prompts[0].tolist(),
            "greedy": {"top_k": 1, "seed": 0, "eos_idx": eos_idx, "steps": len(step_times),
                       "stopped_by": "eos" if eos_idx else "cap_1500", "n_tokens": T, "tokens": tokens.tolist()},
            "audio": {"seed": 0, "file": f32, "samples": int(audio.shape[0]), "sum": float(audio.sum()),
                      "rms": float(audio.pow(2).mean().sqrt()), "max_abs": float(audio.abs().max()),
                      "first8": [float(x) for x in audio[:8]]},
            "how": __doc__,
        }
        json.dump(case, open(os.path.join(args.out, "case-%s.json" % key), "w"), indent=1)
        n = len(step_times)
        print("%s: %d phones, P=%d, steps=%d eos=%s, pre_infer %.3f s, decode %.1f tok/s, vits %.2f s for %.1f s audio"
              % (key, len(ids), P, n, eos_idx, first_token_s, n / loop_s, vits_s, T / 25.0), flush=True)
        if key == TIMED:
            timing = time_fox(t2s, vits, prompts, ref_ids, ids, text, refer, sv_emb, tokens, load_s, ref_s,
                              {"first_token_s": first_token_s, "steps": n, "loop_s": loop_s, "vits_s": vits_s, "T": T})
            json.dump(timing, open(os.path.join(args.out, "python-timing.json"), "w"), indent=1)


def time_fox(t2s, vits, prompts, ref_ids, ids, text, refer, sv_emb, tokens, load_s, ref_s, cold):
    """Warm timings. TorchScript's profiling executor optimises a graph during its first calls, so the cold
    numbers of the reference run (kept as "cold_first_run") are not steady state. Here: 3 warm-up rounds, then
    pre_infer timed 5 times (min), then 200 decode steps (EOS ignored: after the EOS step the module keeps
    appending to the KV cache, so each step costs what a real step costs), then vits.forward on 25 / 50 / 100
    tokens (min of 3, after warm-up)."""
    ref_seq = torch.LongTensor([ref_ids])
    text_seq = torch.LongTensor([ids])
    ref_bert = torch.zeros(len(ref_ids), 1024)
    text_bert = torch.zeros(len(ids), 1024)
    g = torch.Generator().manual_seed(1)
    out = {}
    with torch.no_grad():
        def run_steps(nsteps):
            y_len, y, xy_pos, k, v = t2s.pre_infer(prompts, ref_seq, text_seq, ref_bert, text_bert, 1)
            st = []
            for idx in range(1, nsteps + 1):
                ts = time.perf_counter()
                y, xy_pos, last, k, v = t2s.forward(idx, 1, y_len, y, xy_pos, k, v)
                st.append(time.perf_counter() - ts)
            return st
        for _ in range(3):
            run_steps(15)
        pre = []
        for _ in range(5):
            t0 = time.perf_counter()
            t2s.pre_infer(prompts, ref_seq, text_seq, ref_bert, text_bert, 1)
            pre.append(time.perf_counter() - t0)
        st = run_steps(200)
        q = sorted(st)
        n = len(st)
        vt = {}
        for nt in (25, 50, 100):
            toks = torch.randint(0, 1024, (1, 1, nt), generator=g)
            for _ in range(2):
                vits.forward(toks, text_seq, refer, sv_emb)
            ts = []
            for _ in range(3):
                t0 = time.perf_counter()
                vits.forward(toks, text_seq, refer, sv_emb)
                ts.append(time.perf_counter() - t0)
            vt[nt] = min(ts)
    return {
        "sentence": text, "device": "cpu", "torch": torch.__version__, "threads": torch.get_num_threads(),
        "cpu": open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(": \t"),
        "loadavg_at_end": open("/proc/loadavg").read().split()[:3],
        "note": "2-core machine shared with a concurrent C++ build (see loadavg); numbers are pessimistic and "
                "noisy. The GPT ends at idx 11 (EOS-tuned random weights), so decode timing runs 200 steps "
                "ignoring EOS.",
        "load_modules_s": load_s, "reference_pipeline_s (resample+ssl+extract_latent+ref_handle, cold)": ref_s,
        "phones": len(ids), "ref_phones": len(ref_ids), "P": int(prompts.shape[1]),
        "first_token_s (pre_infer, warm, min of 5)": min(pre),
        "pre_infer_s_all": pre,
        "decode_steps": n, "decode_total_s": sum(st), "decode_tokens_per_s": n / sum(st),
        "decode_step_ms": {"first10_mean": 1000 * sum(st[:10]) / 10, "last10_mean": 1000 * sum(st[-10:]) / 10,
                           "median": 1000 * q[n // 2], "p90": 1000 * q[int(n * 0.9)]},
        "t2s_realtime_factor (tokens/s / 25)": (n / sum(st)) / 25.0,
        "vits_forward_wall_s": {"25 tokens (1 s audio)": vt[25], "50 tokens (2 s)": vt[50], "100 tokens (4 s)": vt[100]},
        "vits_wall_s_per_audio_s": {"at 1 s": vt[25] / 1.0, "at 2 s": vt[50] / 2.0, "at 4 s": vt[100] / 4.0},
        "cold_first_run": {"pre_infer_s": cold["first_token_s"], "steps": cold["steps"],
                           "decode_tokens_per_s": cold["steps"] / cold["loop_s"],
                           "vits_forward_s": cold["vits_s"], "tokens": cold["T"]},
        "command": "make_ref.py " + " ".join(sys.argv[1:]) + " (models/gpt-sovits/upstream-check/README.md)",
        "how": time_fox.__doc__,
    }


if __name__ == "__main__":
    main()
