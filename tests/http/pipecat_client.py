"""Pipecat's ElevenLabsTTSService (pipecat-ai, pinned in install-deps.sh, in .venv/pipecat) pointed at
ttsd, in a pipeline as Pipecat's own tests run one (pipecat.tests.utils.run_test): one turn of speech,
then a second one. Prints a JSON report (frames, word timestamps, errors); the audio goes to --out.
Used by tests/http/elevenlabs-ws-test.cc (PipecatSpeaksThroughTtsd).
"""
import argparse
import asyncio
import json
import sys

from pipecat.frames.frames import ErrorFrame, TTSAudioRawFrame, TTSSpeakFrame, TTSStartedFrame, TTSStoppedFrame, TTSTextFrame
from pipecat.pipeline.task import PipelineParams
from pipecat.services.elevenlabs.tts import ElevenLabsTTSService
from pipecat.tests.utils import SleepFrame, run_test


async def main(args):
    tts = ElevenLabsTTSService(api_key=args.key, url=f"ws://127.0.0.1:{args.port}",
                               settings=ElevenLabsTTSService.Settings(voice=args.voice))
    frames = []
    for text in args.text:
        frames += [TTSSpeakFrame(text), SleepFrame(sleep=1.0)]
    down, up = await run_test(tts, frames_to_send=frames,
                              pipeline_params=PipelineParams(audio_out_sample_rate=args.rate))
    turns = []  # each turn's audio and words, between TTSStartedFrame and TTSStoppedFrame
    for f in down:
        if isinstance(f, TTSStartedFrame):
            turns.append({"audio": bytearray(), "words": [], "rates": set()})
        elif isinstance(f, TTSAudioRawFrame) and turns:
            turns[-1]["audio"] += f.audio
            turns[-1]["rates"].add(f.sample_rate)
        elif isinstance(f, TTSTextFrame) and turns:
            turns[-1]["words"].append([f.text, f.pts / 1e9 if f.pts else None])
    for i, t in enumerate(turns):
        with open(f"{args.out}/pipecat-{i}.pcm", "wb") as out:
            out.write(t["audio"])
    report = {
        "frames": [type(f).__name__ for f in down],
        "started": sum(isinstance(f, TTSStartedFrame) for f in down),
        "stopped": sum(isinstance(f, TTSStoppedFrame) for f in down),
        "turns": [{"audio_bytes": len(t["audio"]), "words": t["words"], "rates": sorted(t["rates"])} for t in turns],
        "errors": [str(f) for f in list(down) + list(up) if isinstance(f, ErrorFrame)],
    }
    json.dump(report, sys.stdout)
    print()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--voice", default="fixture-stream")
    p.add_argument("--key", default="any")
    p.add_argument("--rate", type=int, default=16000)
    p.add_argument("--out", default=".")
    p.add_argument("--text", nargs="+", required=True)
    asyncio.run(main(p.parse_args()))
