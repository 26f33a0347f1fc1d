#!/usr/bin/env python3
"""Gives a GPT-SoVITS streaming t2s.pt the two methods ttsd's token loop calls: logits without sampling.

    python models/gpt-sovits/t2s_logits.py IN_t2s.pt OUT_t2s.pt      (OUT may be IN: rewritten in place)

Upstream's export (GPT_SoVITS/stream_v2pro.py) samples inside its own methods with top_p = 1,
temperature = 1 and repetition penalty 1.35 fixed, on torch's global generator. ttsd samples in C++
(any top-k, top-p, temperature and penalty, and a generator per request), so it needs the logits. The
file written here is upstream's module, untouched, inside a wrapper that adds

  prefill_logits(prompts, ref_seq, text_seq, ref_bert, text_bert) -> (y_len, logits [1, 1025], K, V)
      pre_infer without its sampling: the phones and the prompt's tokens through the transformer, the
      logits of the first new token.
  step_logits(token [1, 1] int64, position, K, V) -> (logits [1, 1025], K, V)
      one decode step: the token just drawn, at audio position `position` (the prompt's length plus
      the number of tokens drawn before it), into the cache; the logits of the next one.

and keeps pre_infer, decode_next_token and forward as they were (they call upstream's own). The
wrapper reads upstream's internals by name (t2s.ar_text_embedding, bert_proj, ar_text_position,
ar_audio_embedding, ar_audio_position.{x_scale, alpha, pe}, t2s_transformer.process_prompt and
decode_next_token, ar_predict_layer, num_head; upstream commit 48b1a01); a file whose insides differ
fails here, with TorchScript's message, not in ttsd. package.py runs this on what the exporter wrote;
run it by hand on a package made before it did. Needs the torch that exported the file (or newer).

draw() and decode() are ttsd's token loop in Python (GptSovitsModel::Prefill/Step and TokenSampler,
engine/src): the fixture's expected tokens and the upstream check are computed with them.
"""

import sys
from typing import List, Tuple

import torch
from torch import Tensor, nn
import torch.nn.functional as F


class T2SLogits(nn.Module):
    def __init__(self, stream: nn.Module):
        super().__init__()
        self.stream = stream

    @torch.jit.export
    def pre_infer(self, prompts: Tensor, ref_seq: Tensor, text_seq: Tensor, ref_bert: Tensor, text_bert: Tensor,
                  top_k: int) -> Tuple[int, Tensor, Tensor, List[Tensor], List[Tensor]]:
        return self.stream.pre_infer(prompts, ref_seq, text_seq, ref_bert, text_bert, top_k)

    @torch.jit.export
    def decode_next_token(self, idx: int, top_k: int, y_len: int, y: Tensor, xy_pos: Tensor,
                          k_cache: List[Tensor], v_cache: List[Tensor]
                          ) -> Tuple[Tensor, Tensor, int, List[Tensor], List[Tensor]]:
        return self.stream.decode_next_token(idx, top_k, y_len, y, xy_pos, k_cache, v_cache)

    @torch.jit.export
    def prefill_logits(self, prompts: Tensor, ref_seq: Tensor, text_seq: Tensor, ref_bert: Tensor,
                       text_bert: Tensor) -> Tuple[int, Tensor, List[Tensor], List[Tensor]]:
        m = self.stream.t2s
        bert = torch.cat([ref_bert.T, text_bert.T], 1).unsqueeze(0)
        x = m.ar_text_embedding(torch.cat([ref_seq, text_seq], 1))
        x = m.ar_text_position(x + m.bert_proj(bert.transpose(1, 2)))
        y_emb = m.ar_audio_embedding(prompts)
        y_len: int = y_emb.size(1)
        xy = torch.cat([x, m.ar_audio_position(y_emb)], dim=1)
        n_text = x.size(1)
        total = n_text + y_len
        # True = may not attend: phones see every phone and no audio; audio sees the phones and the
        # audio before it (itself included).
        blocked = torch.ones((total, total), dtype=torch.bool, device=xy.device)
        blocked[:, :n_text] = False
        blocked[n_text:, n_text:] = torch.triu(blocked[n_text:, n_text:], diagonal=1)
        blocked[:n_text, n_text:] = True
        heads: int = m.num_head
        blocked = blocked.unsqueeze(0).expand(heads, -1, -1).reshape(1, heads, total, total)
        h, k_cache, v_cache = m.t2s_transformer.process_prompt(xy, blocked, None)
        return y_len, m.ar_predict_layer(h[:, -1]), k_cache, v_cache

    @torch.jit.export
    def step_logits(self, token: Tensor, position: int, k_cache: List[Tensor], v_cache: List[Tensor]
                    ) -> Tuple[Tensor, List[Tensor], List[Tensor]]:
        m = self.stream.t2s
        pos = m.ar_audio_position
        emb = m.ar_audio_embedding(token)
        xy_pos = emb * pos.x_scale + pos.alpha * pos.pe[:, position].to(dtype=emb.dtype, device=emb.device)
        h, k_cache, v_cache = m.t2s_transformer.decode_next_token(xy_pos, k_cache, v_cache)
        return m.ar_predict_layer(h[:, -1]), k_cache, v_cache

    def forward(self, idx: int, top_k: int, y_len: int, y: Tensor, xy_pos: Tensor,
                k_cache: List[Tensor], v_cache: List[Tensor]
                ) -> Tuple[Tensor, Tensor, int, List[Tensor], List[Tensor]]:
        return self.stream.decode_next_token(idx, top_k, y_len, y, xy_pos, k_cache, v_cache)


EOS = 1024        # upstream's end token
MIN_TOKENS = 11   # the end token is banned for the first 11 draws (upstream's loop)
MAX_TOKENS = 1500


def draw(logits: Tensor, previous: Tensor, gen: torch.Generator, top_k: int, top_p: float, temperature: float,
         repetition_penalty: float, end: int) -> Tuple[int, bool]:
    """One draw as TokenSampler::Next: upstream's steps in its order (penalty on every id in `previous`,
    written into `logits`; top-p; temperature; top-k; softmax; exponential race) on the generator `gen`.
    Returns the token and whether the penalised logits' argmax is `end` (-1: not checked)."""
    if repetition_penalty != 1.0:
        seen = torch.gather(logits, 1, previous)
        seen = torch.where(seen < 0, seen * repetition_penalty, seen / repetition_penalty)
        logits.scatter_(1, previous, seen)
    likeliest_is = end >= 0 and int(torch.argmax(logits, dim=-1)[0]) == end
    if top_p < 1.0:
        ordered, order = torch.sort(logits, descending=True)
        cut = torch.cumsum(torch.softmax(ordered, dim=-1), dim=-1) > top_p
        cut[:, 0] = False
        logits = logits.masked_fill(cut.scatter(1, order, cut), -float("inf"))
    logits = logits / max(temperature, 1e-5)
    if top_k > 0:
        kth = torch.topk(logits, min(top_k, logits.size(-1)))[0][:, -1:]
        logits = torch.where(logits < kth, -float("inf"), logits)
    probs = torch.softmax(logits, dim=-1)
    race = torch.empty_like(probs).exponential_(1.0, generator=gen)
    return int(torch.argmax(probs / race, dim=-1)[0]), likeliest_is


def decode(t2s, prompts: Tensor, ref_seq: Tensor, text_seq: Tensor, sampling: dict, gen: torch.Generator,
           cap: int = MAX_TOKENS) -> Tuple[List[int], int]:
    """A sentence as GptSovitsModel::Prefill and Step make it (BERT features zeros, as for English).
    sampling: top_k, top_p, temperature, repetition_penalty. Returns the tokens (the end token not among
    them) and the number of the draw that ended; after `cap` tokens, those and cap."""
    zeros = lambda n: torch.zeros(n, 1024, dtype=torch.float32, device=prompts.device)
    y_len, logits, k_cache, v_cache = t2s.prefill_logits(prompts, ref_seq, text_seq, zeros(ref_seq.size(1)),
                                                         zeros(text_seq.size(1)))
    y = prompts
    for n in range(MAX_TOKENS + 1):
        if n >= cap:
            return y[0, y_len:].tolist(), n
        may_end = n >= MIN_TOKENS
        logits = logits.float()
        if not may_end:
            logits = logits[:, :-1]
        token, likeliest_is = draw(logits, y, gen, sampling["top_k"], sampling["top_p"], sampling["temperature"],
                                   sampling["repetition_penalty"], EOS if may_end else -1)
        if likeliest_is or token == EOS:
            return y[0, y_len:].tolist(), n
        tok = torch.tensor([[token]], dtype=torch.int64, device=prompts.device)
        y = torch.cat([y, tok], dim=1)
        logits, k_cache, v_cache = t2s.step_logits(tok, y_len + n, k_cache, v_cache)
    raise RuntimeError("no end token within %d tokens" % MAX_TOKENS)


def wrap(stream: nn.Module) -> torch.jit.ScriptModule:
    """stream: upstream's StreamT2SModel, scripted (a loaded file) or not."""
    if hasattr(stream, "prefill_logits"):
        raise ValueError("this t2s.pt already has prefill_logits")
    return torch.jit.script(T2SLogits(stream))


def main(argv: List[str]) -> int:
    if len(argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    stream = torch.jit.load(argv[1], map_location="cpu")
    if hasattr(stream, "prefill_logits"):
        print("%s already has prefill_logits" % argv[1], file=sys.stderr)
        return 0 if argv[1] == argv[2] else 1
    wrapped = wrap(stream)
    wrapped.save(argv[2])
    print("wrote %s" % argv[2], file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
