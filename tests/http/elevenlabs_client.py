"""ElevenLabs' WebSocket text-to-speech API driven as its docs script it, with the Python websockets
package (pinned in install-deps.sh, in .venv/elevenlabs), against ttsd (tests/http/elevenlabs-ws-test.cc).

Each scenario prints one JSON report on stdout; audio goes to files under --out. Messages are recorded
with the time they arrived (seconds since the scenario began) and without their audio (its length in
bytes instead).
"""
import argparse
import asyncio
import base64
import json
import sys
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

T0 = time.monotonic()


def now():
    return round(time.monotonic() - T0, 4)


def record(raw, audio_sink=None):
    """A server message as the report keeps it; its audio appended to audio_sink (a dict by context)."""
    m = json.loads(raw)
    r = {"t": now(), "keys": sorted(m.keys())}
    for k in ("isFinal", "contextId", "error", "message", "code", "alignment", "normalizedAlignment"):
        if k in m:
            r[k] = m[k]
    if m.get("audio") is not None:
        audio = base64.b64decode(m["audio"])
        r["audio_bytes"] = len(audio)
        if audio_sink is not None:
            audio_sink.setdefault(m.get("contextId", ""), bytearray()).extend(audio)
    elif "audio" in m:
        r["audio_bytes"] = None
    return r


async def read_all(ws, sink=None, until_final=None):
    """Messages until the socket closes (or isFinal of context until_final); the close code."""
    out = []
    try:
        async for raw in ws:
            out.append(record(raw, sink))
            if until_final is not None and out[-1].get("isFinal") and out[-1].get("contextId") == until_final:
                return out, None
    except ConnectionClosed:
        pass
    return out, ws.close_code


def url(args, endpoint, query=""):
    q = f"?{query}" if query else ""
    return f"ws://127.0.0.1:{args.port}/v1/text-to-speech/{args.voice}/{endpoint}{q}"


async def single(args):
    """stream-input as the docs show it: BOS " ", text chunks ending in a space, EOS ""."""
    sink = {}
    async with connect(url(args, "stream-input", f"output_format={args.format}")) as ws:
        await ws.send(json.dumps({"text": " ", "voice_settings": {"stability": 0.5, "similarity_boost": 0.8,
                                                                 "speed": 1.0},
                                  "generation_config": {"chunk_length_schedule": [120, 160, 250, 290]},
                                  "xi_api_key": "any"}))
        for chunk in args.text:
            await ws.send(json.dumps({"text": chunk, "try_trigger_generation": True}))
        await ws.send(json.dumps({"text": ""}))
        messages, code = await read_all(ws, sink)
    with open(f"{args.out}/single.bin", "wb") as f:
        f.write(sink.get("", b""))
    return {"messages": messages, "close_code": code}


async def multi(args):
    """Two contexts on one socket; close_context of the first mid-speech (barge-in), the second
    finishes (flush, close_context), and a third starts at once."""
    sink = {}
    long_text = "This is the first context, and it goes on for a good while. " * 6
    other = "The second context says something else entirely. It ends after two sentences. "
    messages = []
    async with connect(url(args, "multi-stream-input", "output_format=pcm_16000&auto_mode=false")) as ws:
        await ws.send(json.dumps({"text": " ", "context_id": "c1", "voice_settings": {"speed": 1.0}}))
        await ws.send(json.dumps({"text": long_text, "context_id": "c1"}))
        await ws.send(json.dumps({"text": " ", "context_id": "c2"}))
        await ws.send(json.dumps({"text": other, "context_id": "c2"}))
        await ws.send(json.dumps({"context_id": "c2", "flush": True}))
        await ws.send(json.dumps({"context_id": "c2", "close_context": True}))
        c1_audio = 0
        closed_at = None
        third_sent_at = None
        finals = set()
        async for raw in ws:
            m = record(raw, sink)
            messages.append(m)
            if m.get("contextId") == "c1" and m.get("audio_bytes"):
                c1_audio += 1
                if c1_audio == 3 and closed_at is None:
                    # Barge-in: the first context is closed mid-speech; a third starts right away.
                    await ws.send(json.dumps({"context_id": "c1", "close_context": True}))
                    closed_at = now()
                    await ws.send(json.dumps({"text": "A third context starts at once. ", "context_id": "c3"}))
                    await ws.send(json.dumps({"context_id": "c3", "flush": True}))
                    await ws.send(json.dumps({"context_id": "c3", "close_context": True}))
                    third_sent_at = now()
                    # Pipecat may close a closed context again: tolerated silently.
                    await ws.send(json.dumps({"context_id": "c1", "close_context": True}))
            if m.get("isFinal"):
                finals.add(m.get("contextId"))
                if {"c1", "c2", "c3"} <= finals:
                    break
        await ws.send(json.dumps({"close_socket": True}))
        rest, code = await read_all(ws, sink)
        messages += rest
    for ctx, audio in sink.items():
        with open(f"{args.out}/multi-{ctx}.bin", "wb") as f:
            f.write(audio)
    return {"messages": messages, "close_code": code, "closed_at": closed_at, "third_sent_at": third_sent_at}


async def flush(args):
    """An unfinished sentence waits; flush speaks it now, without closing the context."""
    messages = []
    sink = {}
    async with connect(url(args, "multi-stream-input", "output_format=pcm_16000")) as ws:
        await ws.send(json.dumps({"text": " ", "context_id": "f"}))
        await ws.send(json.dumps({"text": "Hello there, this sentence is not finished and", "context_id": "f"}))
        try:
            raw = await asyncio.wait_for(ws.recv(), timeout=1.0)
            messages.append(record(raw, sink))
        except asyncio.TimeoutError:
            pass
        flushed_at = now()
        await ws.send(json.dumps({"context_id": "f", "flush": True}))
        # Audio comes; the context stays open (no isFinal) until it is closed.
        try:
            while True:
                raw = await asyncio.wait_for(ws.recv(), timeout=1.5)
                messages.append(record(raw, sink))
        except asyncio.TimeoutError:
            pass
        closed_at = now()
        await ws.send(json.dumps({"context_id": "f", "close_context": True}))
        messages += (await read_all(ws, sink, until_final="f"))[0]
        await ws.send(json.dumps({"close_socket": True}))
        rest, code = await read_all(ws, sink)
        messages += rest
    return {"messages": messages, "close_code": code, "flushed_at": flushed_at, "closed_at": closed_at}


async def attempt(args, endpoint, first, headers=None, origin=None, query="output_format=pcm_16000"):
    """One connection: the handshake's status, the messages after `first` (then EOS) and the close."""
    try:
        async with connect(url(args, endpoint, query), additional_headers=headers or {}, origin=origin) as ws:
            for m in first:
                await ws.send(m if isinstance(m, str) else json.dumps(m))
            messages, code = await read_all(ws)
            return {"status": 101, "messages": messages, "close_code": code, "reason": ws.close_reason}
    except InvalidStatus as e:
        return {"status": e.response.status_code, "body": e.response.body.decode("utf-8", "replace")}


async def access(args):
    """The token and origin rules (ttsd runs with http-token s3cret)."""
    bos = {"text": " "}
    hello = [{"text": " "}, {"text": "Hi there. "}, {"text": ""}]
    return {
        "no_key": await attempt(args, "stream-input", hello),
        "key_in_message": await attempt(args, "stream-input", [{"text": " ", "xi_api_key": "s3cret"},
                                                               {"text": "Hi there. "}, {"text": ""}]),
        "wrong_key_in_message": await attempt(args, "stream-input", [{"text": " ", "xi_api_key": "nope"}]),
        "xi_api_key_header": await attempt(args, "stream-input", hello, headers={"xi-api-key": "s3cret"}),
        "bearer_header": await attempt(args, "stream-input", hello, headers={"Authorization": "Bearer s3cret"}),
        "query_key": await attempt(args, "stream-input", hello, query="output_format=pcm_16000&authorization=s3cret"),
        "wrong_header": await attempt(args, "stream-input", [bos], headers={"xi-api-key": "nope"}),
        "foreign_origin": await attempt(args, "stream-input", [bos], headers={"xi-api-key": "s3cret"},
                                        origin="http://evil.example"),
    }


async def errors(args):
    """Bad messages and queries get ElevenLabs' error message and close code."""
    many = [{"text": "Context number %d. " % i, "context_id": "m%d" % i} for i in range(6)]
    return {
        "not_json": await attempt(args, "stream-input", [{"text": " "}, "this is not json"]),
        "wrong_type": await attempt(args, "multi-stream-input", [{"text": 5, "context_id": "a"}]),
        "not_an_object": await attempt(args, "multi-stream-input", ["[1, 2]"]),
        "bad_format": await attempt(args, "stream-input", [], query="output_format=flac_44100"),
        "bad_timeout": await attempt(args, "stream-input", [], query="inactivity_timeout=181"),
        "six_contexts": await attempt(args, "multi-stream-input", many),
        "keepalives": await attempt(args, "multi-stream-input",
                                    [{"text": ""}, {"text": "", "context_id": "k"}, {"text": " "},
                                     {"text": " ", "context_id": "k"}, {"context_id": "k", "flush": True},
                                     {"text": "", "context_id": "k"}, {"close_socket": True}]),
        # Past the daemon's 100,000 bytes of text per request.
        "flood": await attempt(args, "stream-input", [{"text": " "}] + [{"text": "word " * 6000}] * 4),
    }


async def timeout(args):
    """inactivity_timeout: stream-input closes with input_timeout_exceeded; on multi-stream-input a
    context times out alone while the socket is kept alive, then the idle socket closes."""
    started = now()
    single_r = await attempt(args, "stream-input", [{"text": " "}], query="output_format=pcm_16000&inactivity_timeout=1")
    single_r["elapsed"] = now() - started
    messages = []
    # 2 s here: a keep-alive every 0.3 s keeps the socket open even on a loaded machine.
    async with connect(url(args, "multi-stream-input", "output_format=pcm_16000&inactivity_timeout=2")) as ws:
        await ws.send(json.dumps({"text": " ", "context_id": "idle"}))
        started = now()
        for _ in range(10):  # keep-alives for the socket, none for the context
            await asyncio.sleep(0.3)
            await ws.send(json.dumps({"text": ""}))
            try:
                while True:
                    messages.append(record(await asyncio.wait_for(ws.recv(), timeout=0.01)))
            except asyncio.TimeoutError:
                pass
        alive_after = now() - started
        rest, code = await read_all(ws)
        messages += rest
    return {"single": single_r, "multi": {"messages": messages, "close_code": code, "alive_after": alive_after,
                                          "closed_after": now() - started}}


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def deaf(args):
    """A client that stops reading: ttsd's memory stays bounded while it does not read."""
    text = " ".join("Sentence number %d goes on a little longer than it needs to." % i for i in range(150))
    async with connect(url(args, "stream-input", "output_format=pcm_16000"), max_queue=1) as ws:
        await ws.send(json.dumps({"text": " "}))
        await ws.send(json.dumps({"text": text + " "}))
        await ws.send(json.dumps({"text": ""}))
        before = rss_kb(args.pid)
        peak = before
        for _ in range(15):
            await asyncio.sleep(0.2)
            peak = max(peak, rss_kb(args.pid))
        got = 0
        messages = 0
        try:
            async for raw in ws:
                m = json.loads(raw)
                got += len(base64.b64decode(m["audio"])) if m.get("audio") else 0
                messages += 1
                if messages >= 5:
                    break
        except ConnectionClosed:
            pass
        # Then it leaves without a close handshake (ttsd cancels what is left).
        ws.transport.abort()
    return {"rss_before_kb": before, "rss_peak_kb": peak, "text_bytes": len(text), "read_after": got}


SCENARIOS = {"single": single, "multi": multi, "flush": flush, "access": access, "errors": errors,
             "timeout": timeout, "deaf": deaf}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=SCENARIOS)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--voice", default="fixture-stream")
    p.add_argument("--format", default="pcm_16000")
    p.add_argument("--out", default=".")
    p.add_argument("--pid", type=int, default=0)
    p.add_argument("--text", nargs="*", default=[])
    args = p.parse_args()
    report = asyncio.run(SCENARIOS[args.scenario](args))
    json.dump(report, sys.stdout)
    print()


if __name__ == "__main__":
    main()
