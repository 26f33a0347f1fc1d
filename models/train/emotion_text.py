#!/usr/bin/python3
"""The text-to-emotion stage: a description ("angrily, voice trembling", "悲伤地") -> eight axes.

  /usr/bin/python3 models/train/emotion_text.py --out models/work/emotion-text.ts

Hashed UTF-8 byte 1-3-grams (so English and Chinese go through the same path) summed into
per-axis log-odds, then a sigmoid: a logistic regression small enough to read, trained in seconds
on descriptions generated from emotion words, intensity modifiers and templates in both languages.
Descriptions with no emotion words map to (nearly) zero.
"""
import argparse
import random
from typing import List

import torch
import torch.nn as nn

AXES = ["happy", "angry", "sad", "afraid", "disgusted", "melancholic", "surprised", "calm"]
WORDS = {
    "happy": "happy happily joyful joyfully cheerful cheerfully glad delighted excited excitedly laughing "
             "bright upbeat elated merry gleeful 开心 高兴 快乐 愉快 兴奋 欢快 喜悦 欢乐".split(),
    "angry": "angry angrily furious furiously mad rage enraged irritated annoyed shouting yelling fuming "
             "outraged hostile 生气 愤怒 恼火 气愤 暴怒 发火 怒吼".split(),
    "sad": "sad sadly sorrowful crying tearful unhappy heartbroken grieving weeping upset mournful "
           "悲伤 难过 伤心 哭泣 痛苦 哭着".split(),
    "afraid": "afraid scared fearful frightened terrified nervous anxious trembling shaking panicked "
              "fearfully nervously 害怕 恐惧 紧张 惊恐 颤抖 发抖 胆怯".split(),
    "disgusted": "disgusted disgust revolted repulsed contemptuous sickened loathing scornful "
                 "厌恶 恶心 嫌弃 反感 鄙视".split(),
    "melancholic": "melancholic melancholy wistful nostalgic gloomy pensive somber depressed longing "
                   "dejected 忧郁 惆怅 伤感 低落 沮丧 忧伤".split(),
    "surprised": "surprised astonished amazed shocked startled stunned surprisingly astonishment "
                 "惊讶 吃惊 震惊 意外 惊奇 惊喜".split(),
    "calm": "calm calmly peaceful relaxed gentle gently soothing serene quiet quietly tranquil composed "
            "平静 冷静 温柔 轻松 安静 淡定 平和".split(),
}
PHRASES = {
    "afraid": ["voice trembling", "trembling voice", "shaking with fear", "声音颤抖", "吓坏了"],
    "sad": ["with tears in the voice", "on the verge of tears", "holding back tears", "含着眼泪", "带着哭腔"],
    "angry": ["through gritted teeth", "losing their temper", "咬牙切齿", "大发雷霆"],
    "happy": ["with a smile", "full of joy", "笑着说", "满心欢喜"],
    "surprised": ["in disbelief", "can't believe it", "不敢相信"],
    "calm": ["slowly and evenly", "at ease", "心平气和", "慢慢地"],
    "disgusted": ["grossed out", "with contempt", "嗤之以鼻"],
    "melancholic": ["lost in memories", "missing the old days", "怀念过去"],
}
STRONG = ["very", "extremely", "really", "deeply", "incredibly", "非常", "十分", "特别", "极其"]
WEAK = ["slightly", "a bit", "a little", "somewhat", "mildly", "有点", "稍微", "有些", "略微"]
NEUTRAL = ["normal voice", "read the news", "plain", "neutral", "just read it", "narrate the story",
           "in a normal tone", "正常", "普通地读", "朗读", "平常的语气", "speak clearly", "a podcast intro"]
EN_TEMPLATES = ["{x}", "{x}.", "speak {x}", "in a {x} voice", "say it {x}", "{x}, please", "sounding {x}",
                "a {x} tone", "read this {x}"]
ZH_TEMPLATES = ["{x}", "{x}地说", "用{x}的语气", "{x}的声音", "语气{x}", "请{x}地读"]


class EmotionText(nn.Module):
    def __init__(self, buckets: int = 8192):
        super().__init__()
        self.buckets = buckets
        self.weight = nn.Parameter(torch.zeros(buckets, len(AXES)))
        self.bias = nn.Parameter(torch.full((len(AXES),), -3.0))

    @torch.jit.export
    def features(self, text: str) -> List[int]:
        t = " " + text.lower() + " "
        ids: List[int] = []
        n = len(t)
        for i in range(n):
            h = 0
            for k in range(3):
                if i + k >= n:
                    break
                h = (h * 1000003 + ord(t[i + k])) % 2147483647
                ids.append((h * (k + 1) + k) % self.buckets)
        return ids

    def forward(self, text: str) -> torch.Tensor:
        ids = torch.tensor(self.features(text), dtype=torch.long, device=self.weight.device)
        z = self.weight.index_select(0, ids).sum(0) + self.bias
        return torch.sigmoid(z).unsqueeze(0)


def phrase(axis, rng):
    zh = rng.random() < 0.4
    pool = [w for w in WORDS[axis] if (ord(w[0]) > 0x2e80) == zh]
    x = rng.choice(pool)
    if rng.random() < 0.25:
        x = rng.choice([p for p in PHRASES[axis] if (ord(p[0]) > 0x2e80) == zh] or [x])
    level = 0.8
    r = rng.random()
    if r < 0.25:
        x, level = (rng.choice(STRONG[5:]) + x) if zh else (rng.choice(STRONG[:5]) + " " + x), 1.0
    elif r < 0.5:
        x, level = (rng.choice(WEAK[5:]) + x) if zh else (rng.choice(WEAK[:5]) + " " + x), 0.4
    t = rng.choice(ZH_TEMPLATES if zh else EN_TEMPLATES)
    return t.format(x=x), level, zh


def examples(n, seed):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        y = [0.0] * len(AXES)
        r = rng.random()
        if r < 0.12:
            out.append((rng.choice(NEUTRAL), y))
            continue
        a = rng.choice(AXES)
        text, level, zh = phrase(a, rng)
        y[AXES.index(a)] = level
        if r > 0.7:  # two emotions: "angrily, voice trembling"
            b = rng.choice([x for x in AXES if x != a])
            t2, l2, _ = phrase(b, rng)
            text = text + rng.choice([", ", " and ", "，", "又"]) + t2
            y[AXES.index(b)] = l2
        out.append((text, y))
    return out


def train(steps=400, seed=0):
    torch.manual_seed(seed)
    model = EmotionText()
    data = examples(6000, seed)
    # TorchScript strings are UTF-8 bytes: take the features from the scripted method, so training
    # sees exactly what the engine's calls will.
    features = torch.jit.script(EmotionText(model.buckets)).features
    feats = [torch.tensor(features(t)) for t, _ in data]
    offsets = torch.tensor([0] + [len(f) for f in feats[:-1]]).cumsum(0)
    flat = torch.cat(feats)
    y = torch.tensor([v for _, v in data])
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for step in range(steps):
        z = nn.functional.embedding_bag(flat, model.weight, offsets, mode="sum") + model.bias
        loss = nn.functional.binary_cross_entropy_with_logits(z, y) + 1e-5 * model.weight.pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            print("emotion text: step %d loss %.4f" % (step, loss.item()), flush=True)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    model = train().eval()
    scripted = torch.jit.script(model)
    for text in ["angrily, voice trembling", "very sad", "悲伤地说", "有点生气", "calmly", "read the news"]:
        v = scripted(text)[0]
        top = sorted(zip(AXES, v.tolist()), key=lambda t: -t[1])[:2]
        print("  %-26s -> %s" % (text, ", ".join("%s %.2f" % t for t in top)))
    scripted.save(args.out)


if __name__ == "__main__":
    main()
