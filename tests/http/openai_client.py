#!/usr/bin/env python3
"""OpenAI's official Python client against a running ttsd (tests/http/openai-client-test.cc runs it).

    .venv/openai/bin/python tests/http/openai_client.py --base-url http://127.0.0.1:PORT/v1 --out DIR \
        --voice VOICE --text TEXT

For each of OpenAI's response formats, one plain request (client.audio.speech.create) and one streamed
(with_streaming_response, iter_bytes): writes DIR/FORMAT.bin and DIR/FORMAT-stream.bin, and
DIR/report.json with each streamed response's headers, chunk count and the milliseconds from the
request to its first and last bytes. Also a request without response_format (OpenAI's default) to
DIR/default.bin, and the voices list (client.get on /audio/voices, as Open WebUI reads it).
"""

import argparse
import json
import os
import sys
import time

import openai

FORMATS = ["mp3", "opus", "aac", "flac", "wav", "pcm"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--voice", required=True)
    ap.add_argument("--text", required=True)
    args = ap.parse_args()
    client = openai.OpenAI(base_url=args.base_url, api_key="not-needed", max_retries=0, timeout=60)
    report = {"openai_version": openai.__version__, "formats": {}}

    for fmt in FORMATS:
        speech = client.audio.speech.create(model="tts-1", voice=args.voice, input=args.text, response_format=fmt)
        with open(os.path.join(args.out, fmt + ".bin"), "wb") as f:
            f.write(speech.content)
        start = time.monotonic()
        first = last = None
        chunks = 0
        with client.audio.speech.with_streaming_response.create(
                model="tts-1", voice=args.voice, input=args.text, response_format=fmt) as r:
            headers = {k.lower(): v for k, v in r.headers.items()}
            with open(os.path.join(args.out, fmt + "-stream.bin"), "wb") as f:
                for chunk in r.iter_bytes():
                    now = (time.monotonic() - start) * 1000
                    first = now if first is None else first
                    last = now
                    chunks += 1
                    f.write(chunk)
        report["formats"][fmt] = {"content_type": headers.get("content-type"),
                                  "sample_rate": headers.get("x-sample-rate"),
                                  "chunks": chunks, "first_byte_ms": first, "last_byte_ms": last}

    speech = client.audio.speech.create(model="tts-1", voice="alloy", input=args.text)  # no response_format
    with open(os.path.join(args.out, "default.bin"), "wb") as f:
        f.write(speech.content)
    report["voices"] = client.get("/audio/voices", cast_to=object)
    with open(os.path.join(args.out, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except openai.APIError as e:  # an error response: say what ttsd answered
        print("openai.%s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
