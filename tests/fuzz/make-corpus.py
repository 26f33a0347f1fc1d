#!/usr/bin/python3
"""Writes the fuzzers' seed corpora under tests/fuzz/corpus/<target>/: small real examples of what
each decoder reads (frames, message bodies, Wyoming events, HTTP requests, texts, lexicons, audio
files). The output is committed; rerun after changing this file:
    tests/fuzz/make-corpus.py            (needs sox and ffmpeg for the audio files)
Regression inputs found by fuzzing (regress-*) are committed by hand and left alone here."""
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import wave

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def clear(target):
    d = os.path.join(ROOT, target)
    if os.path.isdir(d):
        for n in os.listdir(d):
            if not n.startswith("regress-"):
                os.remove(os.path.join(d, n))


def j(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


# --- native protocol (protocol/README.md) ---
TYPES = dict(hello=0x01, synthesize=0x02, text=0x03, cancel=0x04, list_voices=0x05, ping=0x06, listen=0x07,
             channel_control=0x08, reference=0x09, voice_add=0x0A, voice_remove=0x0B, welcome=0x81,
             accepted=0x82, audio=0x83, done=0x84, voices=0x85, pong=0x86, channel_status=0x87,
             voice_saved=0x88, voice_removed=0x89, error=0x8F)


def frame(kind, payload=b"", request_id=0, flags=0):
    return struct.pack("<IBBHI", len(payload), TYPES[kind], flags, 0, request_id) + payload


def audio(rate, fmt, channels, offset, pcm):
    return struct.pack("<IBBHQ", rate, fmt, channels, 0, offset) + pcm


HELLO = {"min_version": 1, "max_version": 2, "client": "ttsc 0.1.0"}
SYNTH = {"text": "Hello.", "voice": "fixture-ar"}
SYNTH_FULL = {"text": "Dr. Smith paid $5.50 on 2024-03-05.", "voice": "ttsd-en", "speaker": "alpha",
              "final": True, "sample_format": "f32le", "speed": 1.25, "emotion": {"happy": 0.8, "calm": 0.2},
              "emotion_text": "cheerfully", "emotion_alpha": 0.7, "duration": 3.5}
SYNTH_STREAM = {"text": "", "final": False, "channel": "stream", "interrupt": True}
SYNTH_REF = {"text": "Just this once.", "references": 2, "emotion_reference": True}
MESSAGES = {
    "hello": HELLO,
    "welcome": {"version": 2, "server": "ttsd 0.1.0", "max_payload_bytes": 1048576},
    "synthesize": SYNTH,
    "synthesize-full": SYNTH_FULL,
    "synthesize-stream": SYNTH_STREAM,
    "synthesize-ref": SYNTH_REF,
    "accepted": {"voice": "fixture-ar", "speaker": "alpha", "sample_rate": 16000, "sample_format": "s16le",
                 "channels": 1, "channel": "stream"},
    "voices": {"default_voice": "ttsd-en",
               "voices": [{"name": "ttsd-en", "description": "English", "languages": ["en-us"],
                           "speakers": ["alpha", "beta"], "sample_rate": 16000}],
               "saved": [{"name": "anna", "voice": "ttsd-en", "references": 2, "seconds": 9.5,
                          "created": "2026-11-22T06:10:40Z"}]},
    "error": {"code": 6, "name": "unknown_voice", "message": "no voice named 'x'"},
    "listen": {"channel": "stream", "sample_format": "s16le"},
    "channel-control": {"channel": "stream", "action": "skip"},
    "done": {"audio_s": 1.25},
    "channel-status": {"channel": "stream", "listeners": 2, "playing": True,
                       "current": {"id": 7, "text": "Thanks for the follow!", "played_s": 0.42},
                       "queue": [{"id": 8, "text": "Queued.", "played_s": 0}], "underruns": 0},
    "voice-add": {"name": "anna", "voice": "ttsd-en", "references": 2, "replace": False},
    "voice-saved": {"name": "anna", "voice": "ttsd-en", "references": 2, "seconds": 9.5},
    "voice-remove": {"name": "anna"},
    "voice-removed": {"name": "anna"},
}


def native():
    clear("messages")
    for name, body in MESSAGES.items():
        write("messages", name, j(body))
    write("messages", "text-utf8", "Grüße, 你好 — “quoted”.")
    write("messages", "not-object", b"[1,2,3]")

    clear("frame")
    pcm = struct.pack("<4h", 0, 16, -16, 256)
    session = (frame("hello", j(HELLO)) + frame("synthesize", j(SYNTH), 1) +
               frame("synthesize", j(SYNTH_STREAM), 2) + frame("text", "Hello there. How".encode(), 2) +
               frame("text", " are you?".encode(), 2, flags=1) + frame("cancel", b"", 1) +
               frame("list_voices", b"", 3) + frame("ping", b"", 4))
    # Byte 0: read size and cap (fuzz-frame.cc).
    write("frame", "session", b"\x00" + session)
    write("frame", "session-small-reads", b"\x02" + session)
    write("frame", "hello-example", b"\x3f" + frame("hello", j({"min_version": 1, "max_version": 1, "client": "demo"})))
    write("frame", "server-replies", b"\x07" + frame("welcome", j(MESSAGES["welcome"])) +
          frame("accepted", j(MESSAGES["accepted"]), 1) + frame("audio", audio(16000, 1, 1, 0, pcm), 1) +
          frame("audio", audio(16000, 1, 1, 4, b""), 1, flags=1) + frame("error", j(MESSAGES["error"]), 2))
    write("frame", "references", b"\x10" + frame("synthesize", j(SYNTH_REF), 5) +
          frame("reference", b"RIFF....WAVEfmt ", 5) + frame("reference", b"data", 5, flags=1) +
          frame("reference", b"OggS", 5, flags=3))
    write("frame", "channels", b"\x05" + frame("listen", j(MESSAGES["listen"]), 6) +
          frame("channel_control", j(MESSAGES["channel-control"]), 7) + frame("voice_add", j(MESSAGES["voice-add"]), 8) +
          frame("voice_remove", j(MESSAGES["voice-remove"]), 9))
    write("frame", "too-large", b"\x80" + struct.pack("<IBBHI", 65, 0x02, 0, 0, 1))
    write("frame", "unknown-type", b"\x00" + struct.pack("<IBBHI", 0, 0x42, 0, 0, 1))


# --- Wyoming (daemon/wyoming/include/ttsd/daemon/wyoming-event.h) ---
def wy(kind, data=None, payload=b"", inline=False):
    header = {"type": kind, "version": "1.7.0"}
    block = b""
    if data is not None and inline:
        header["data"] = data
    elif data is not None:
        block = j(data)
        header["data_length"] = len(block)
    if payload:
        header["payload_length"] = len(payload)
    return j(header) + b"\n" + block + payload


def wyoming():
    clear("wyoming")
    voice = {"name": "ttsd-en", "language": "en-us", "speaker": "alpha"}
    write("wyoming", "describe", b"\x00" + wy("describe"))
    write("wyoming", "synthesize", b"\x00" + wy("synthesize", {"text": "Hello there.", "voice": voice}))
    write("wyoming", "synthesize-inline", b"\x03" + wy("synthesize", {"text": "Inline data.", "voice": {"language": "en"}},
                                                       inline=True))
    write("wyoming", "stream", b"\x01" + wy("synthesize-start", {"voice": voice}) +
          wy("synthesize-chunk", {"text": "Hello there. How"}) + wy("synthesize-chunk", {"text": " are you?"}) +
          wy("synthesize", {"text": "Hello there. How are you?"}) + wy("synthesize-stop") + wy("ping", {"text": "x"}))
    pcm = struct.pack("<8h", *range(8))
    write("wyoming", "audio", b"\x07" + wy("audio-start", {"rate": 16000, "width": 2, "channels": 1}) +
          wy("audio-chunk", {"rate": 16000, "width": 2, "channels": 1, "timestamp": 0}, pcm) +
          wy("audio-stop", {"timestamp": 0}))
    write("wyoming", "merged-data", b"\x0f" + j({"type": "synthesize", "data": {"text": "overridden"},
                                                 "data_length": 17}) + b"\n" + b'{"text":"winner"}')
    write("wyoming", "crlf-blank", b"\x00" + b"\r\n  \n" + j({"type": "ping"}) + b"\r\n")
    write("wyoming", "ssml", b"\x00" + wy("synthesize", {"text": "<speak/>", "text_format": "ssml"}))


# --- HTTP API (daemon/http/src/http-route.cc, http-speech.cc) ---
def req(method, target, body=b"", headers=(), host="127.0.0.1:5002"):
    if isinstance(body, dict):
        body = j(body)
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"] + list(headers)
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def http():
    clear("http")
    js = ["Content-Type: application/json"]
    speech = {"model": "tts-1", "input": "Hello from the HTTP API.", "voice": "alloy", "response_format": "wav",
              "speed": 1.0}
    write("http", "speech", b"\x00" + req("POST", "/v1/audio/speech", speech, js))
    write("http", "speech-opus-token", b"\x01" + req("POST", "/v1/audio/speech",
                                                      {"input": "Opus.", "voice": "ttsd-en:alpha", "response_format": "opus",
                                                       "stream_format": "audio"},
                                                      js + ["Authorization: Bearer s3cret"], host="tts.lan:5002"))
    write("http", "speech-style", b"\x00" + req("POST", "/v1/audio/speech?x=1",
                                                {"input": "How could you?", "voice": {"id": "ttsd-en"}, "speaker": "beta",
                                                 "response_format": "pcm", "emotion": {"angry": 0.8},
                                                 "emotion_text": "angrily", "emotion_alpha": 0.5, "duration": 2,
                                                 "channel": "stream", "interrupt": True,
                                                 "instructions": "ignored"},
                                                ["Content-Type: Application/JSON; charset=utf-8"]))
    write("http", "speech-chunked", b"\x00" + b"POST /v1/audio/speech HTTP/1.1\r\nHost: localhost\r\n"
          b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
          b"10\r\n{\"input\":\"Chunk\r\n9\r\ned body\"}\r\n0\r\n\r\n")
    write("http", "speech-form", b"\x00" + req("POST", "/v1/audio/speech", b"input=hi",
                                               ["Content-Type: application/x-www-form-urlencoded"]))
    write("http", "pipelined", b"\x00" + req("GET", "/v1/voices") + req("GET", "/health") + req("GET", "/v1/models") +
          req("GET", "/v1/channels/stream") + req("POST", "/v1/channels/stream/skip") +
          req("POST", "/v1/channels/stream/clear") + req("GET", "/v1/channels/stream/events", headers=["Connection: close"]))
    write("http", "page", b"\x00" + req("GET", "/", headers=["Origin: http://127.0.0.1:5002"]) + req("GET", "/app.js") +
          req("GET", "/style.css") + req("DELETE", "/index.html"))
    write("http", "foreign", b"\x01" + req("GET", "/v1/voices", host="evil.example",
                                           headers=["Origin: http://evil.example", "Authorization: Bearer nope"]))
    write("http", "shutting-down", b"\x02" + req("GET", "/v1/voices", host="[::1]:5002"))
    write("http", "http10", b"\x00" + b"GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n")
    write("http", "speech-mp3-sse", b"\x00" + req("POST", "/v1/audio/speech",
                                                 {"input": "Events.", "voice": "default", "response_format": "mp3",
                                                  "stream_format": "sse", "sample_rate": 24000, "volume": 1.5}, js))
    write("http", "audio-voices", b"\x00" + req("GET", "/v1/audio/voices") + req("GET", "/v1/audio/models"))
    write("http", "speech-sse-timestamps", b"\x00" + req("POST", "/v1/audio/speech",
                                                        {"input": "Words with times.", "stream_format": "sse",
                                                         "response_format": "pcm", "return_timestamps": True}, js))
    write("http", "captioned", b"\x00" + req("POST", "/dev/captioned_speech",
                                             {"model": "kokoro", "input": "Captioned.", "voice": "af_heart",
                                              "response_format": "mp3", "speed": 1.0, "stream": False,
                                              "return_timestamps": True, "return_download_link": False,
                                              "lang_code": "a", "volume_multiplier": 0.8,
                                              "normalization_options": {"normalize": True}}, js) +
          req("POST", "/dev/captioned_speech", {"input": "Streamed lines."}, js))
    write("http", "captions-page", b"\x00" + req("GET", "/captions?channel=stream&size=48&highlight=ffd400") +
          req("GET", "/captions.js") + req("GET", "/captions.css"))
    body, ctype = form([("name", None, b"anna"), ("reference_text", None, b"What the file says."),
                        ("file", "anna.wav", b"RIFF....WAVEfmt ")])
    write("http", "websocket", b"\x01" + req("GET", "/v1/text-to-speech/fixture-ar%3Abeta/multi-stream-input"
                                            "?output_format=pcm_16000&inactivity_timeout=30",
                                            headers=["Upgrade: websocket", "Connection: Upgrade",
                                                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                                                     "Sec-WebSocket-Version: 13", "xi-api-key: s3cret"]))
    write("http", "voice-upload", b"\x00" + req("POST", "/v1/voices", body, ["Content-Type: " + ctype]) +
          req("DELETE", "/v1/voices/anna"))


# --- ElevenLabs' WebSocket messages and query (daemon/http: elevenlabs-messages.h) ---
def elevenlabs():
    clear("elevenlabs")
    msgs = {
        "bos": {"text": " ", "voice_settings": {"stability": 0.5, "similarity_boost": 0.8, "speed": 1.1},
                "generation_config": {"chunk_length_schedule": [120, 160, 250, 290]}, "xi_api_key": "k"},
        "bos-sdk": {"text": " ", "try_trigger_generation": True, "voice_settings": None,
                    "generation_config": {"chunk_length_schedule": [50]}},
        "text": {"text": "Hello world. How are you? ", "try_trigger_generation": False, "flush": False},
        "eos": {"text": ""},
        "context-init": {"text": " ", "context_id": "c1", "voice_settings": {"speed": 1.0}},
        "context-text": {"text": "Grüße, 你好! [pause:500ms] $5.50 ", "context_id": "c1"},
        "flush-pipecat": {"context_id": "c1", "flush": True},
        "flush-livekit": {"text": "", "context_id": "c1", "flush": True},
        "close-context": {"context_id": "c1", "close_context": True},
        "close-socket": {"close_socket": True},
        "keepalive": {"text": "", "context_id": "c1"},
        "key-dash": {"text": " ", "xi-api-key": "s3cret", "authorization": "Bearer s3cret"},
    }
    for name, m in msgs.items():
        write("elevenlabs", name, j(m))
    write("elevenlabs", "query-pipecat", "model_id=eleven_flash_v2_5&output_format=pcm_24000&auto_mode=true"
          "&enable_ssml_parsing=false&language_code=en")
    write("elevenlabs", "query-livekit", "model_id=eleven_turbo_v2_5&output_format=mp3_22050_32&enable_logging=true"
          "&inactivity_timeout=180&sync_alignment=true&auto_mode=True&seed=7&authorization=Bearer%20s3cret")
    write("elevenlabs", "bad-type", '{"text": 5, "context_id": ["x"]}')
    write("elevenlabs", "not-json", 'text=hello')


def form(parts, boundary="----ttsdBoundary7MA4YWxk"):
    """A multipart/form-data body as browsers write it: (name, filename or None, bytes) per part."""
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename:
            out += b"Content-Type: audio/wav\r\n"
        out += b"\r\n" + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# --- multipart/form-data (daemon/http: http-multipart.h): Content-Type, NUL, body ---
def multipart():
    clear("multipart")
    body, ctype = form([("name", None, b"anna"), ("voice", None, b"ttsd-en"),
                        ("reference_text", None, "Ünïcode transcript.".encode()),
                        ("file", "a.wav", b"RIFF\x00\x01\r\n--not-the-boundary"), ("file", "b.flac", b"fLaC\x00")])
    write("multipart", "browser", ctype.encode() + b"\x00" + body)
    body, _ = form([("name", None, b"x")], boundary="q")
    write("multipart", "quoted-boundary", b'multipart/form-data; charset=utf-8; boundary="q"\x00preamble\r\n' + body)
    write("multipart", "no-headers-part", b"multipart/form-data; boundary=b\x00--b\r\n\r\ndata\r\n--b--")
    write("multipart", "unterminated", b"multipart/form-data; boundary=b\x00--b\r\nContent-Disposition: form-data; "
          b"name=\"f\"\r\n\r\nno end")
    write("multipart", "not-multipart", b"application/json\x00{}")


# --- text frontend (engine/include/ttsd/frontend/text-frontend.h) ---
TEXTS = [
    "Hello there. How are you today? I'm fine, thank you!",
    "Dr. Smith paid $5.50 for 3 apples on 2024-03-05 at 10:30 (about 12.5% more than on March 5).",
    "In 1984, the 3rd runner-up won €3,000,000; -42.7 degrees is cold. Call +1 555 0100 or mail a@b.co.",
    "NASA and the FBI met at 7pm, e.g. on Main St. No. 5 vs. No 6... U.S. Army, Inc. Then we left.",
    "Say [[hh ax0 l ow1]] or [[ˈhɛloʊ]] and [[pau]] again.",
    "你好，世界。今天天气很好！重(chóng)新开始？",
    "Mixed 中文 and English: 我们 meet at 3:15, OK?",
    "\"Quoted,\" she said (loudly). 'Really?' — yes… “Curly” ‘quotes’ »here«.",
    "A very long sentence without any punctuation at all that just keeps going on and on with more "
    "and more words so that the splitter has to cut it somewhere after forty words because nobody "
    "ever put a period in it and the stream must still flow to the listener in time",
    "1. Buy milk\n2. Feed the cat\n\n  New paragraph here",
    "ＡＢＣ full-width, café naïve Ωmega, ﬁ ligature, ½ and ², \u200bzero\u00a0width.",
    "chong2 zhong4 lü4 nü3 xiong1",
    "I.e. 3.14159 is pi; TTS and ttsd, v2.0.1, 1st/2nd/3rd/4th, 100,000 and 0.001.",
]


def frontend():
    clear("frontend")
    for i, t in enumerate(TEXTS):
        write("frontend", f"text-{i:02d}", bytes([i * 7 % 64 | (0x40 if i % 3 == 0 else 0)]) + t.encode())


# --- SSML (frontend/src/ssml.h): byte 0 seeds the piece sizes, the rest is the document ---
SSML = [
    '<speak>Hello there. <break time="300ms"/> How are you?</speak>',
    '<?xml version="1.0" encoding="UTF-8"?>\n<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis" '
    'xml:lang="en-US">\n  <p><s>First sentence.</s><s>Second one.</s></p>\n  <p>Caf\u00e9 &amp; cr\u00e8me '
    '&#x263A; <!-- a comment --> <![CDATA[a < b]]></p>\n</speak>\n',
    '<speak><prosody rate="fast" volume="+6dB" pitch="+2st">quick <prosody rate="150%" pitch="-10%">and '
    'nested</prosody></prosody> <prosody volume="soft" pitch="+50Hz" rate="-20%">soft</prosody> '
    '<emphasis level="strong">now</emphasis> <emphasis>then</emphasis></speak>',
    '<speak><say-as interpret-as="characters">SSML</say-as> <say-as interpret-as="cardinal">1,234</say-as> '
    '<say-as interpret-as="ordinal">21st</say-as> <say-as interpret-as="digits">007</say-as> '
    '<say-as interpret-as="date" format="dmy">05/03/2024</say-as> <say-as interpret-as="date">2024-03-05</say-as> '
    '<say-as interpret-as="time" format="hms12">7:30pm</say-as> '
    '<say-as interpret-as="telephone">+1 (555) 010-0100</say-as></speak>',
    '<speak>The <sub alias="World Wide Web">WWW</sub> and <phoneme alphabet="ipa" ph="t\u0259\u02c8me\u026ato\u028a">'
    'tomato</phoneme> <phoneme alphabet="x-arpabet" ph="T AH0 M AA1 T OW2">tomato</phoneme> '
    '<voice name="alpha">one <voice name="beta">two</voice></voice> <mark name="m"/> <lang xml:lang="fr">oui</lang> '
    '<audio src="a.wav">ding<desc>bell</desc></audio> <break strength="x-strong"/><break/></speak>',
    '<speak><meta name="a" content="b"/><metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description/></rdf:RDF></metadata><lexicon uri="x.pls"/>said</speak>',
    '<!DOCTYPE speak [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;">]><speak>&b;</speak>',
    '<speak>\n  <p>\n    <foo/>\n  </p>\n</speak>',
    '<speak>unclosed <p>paragraph',
    '<speak>a</speak><speak>b</speak>',
]


def ssml():
    clear("ssml")
    for i, doc in enumerate(SSML):
        write("ssml", f"doc-{i:02d}", bytes([i * 37 % 256]) + doc.encode())


def lexicon():
    clear("lexicon")
    write("lexicon", "sample", "# word        phones\nttsd          T IY1 T IY1 EH1 S D IY1\n"
                               "nguyen        ŋ w ɪ n\nrock-n-roll   [[r ɑ k ə n ˈr oʊ l]]\n")
    write("lexicon", "comments", "\n   # only a comment\nGIF\tjh ih1 f  # the creator's way\n"
                                 "café\tk ae0 f ey1\r\nR2-D2 aa1 r t uw1 d iy1 t uw1\n")


# --- reference audio (daemon/voices/include/ttsd/daemon/reference-audio.h) ---
def tone(rate, seconds, channels=1, amplitude=0.5):
    frames = []
    for i in range(int(rate * seconds)):
        v = int(amplitude * 32767 * math.sin(2 * math.pi * 220 * i / rate) * (1 + 0.3 * math.sin(i / 50)) / 1.3)
        frames.append(struct.pack("<" + "h" * channels, *([v] * channels)))
    return b"".join(frames)


def wav(path, rate, seconds, channels=1, amplitude=0.5):
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(tone(rate, seconds, channels, amplitude))


def reference():
    clear("reference")
    tmp = tempfile.mkdtemp()
    try:
        src = os.path.join(tmp, "src.wav")
        wav(src, 4000, 1.1)
        short_src = os.path.join(tmp, "short-src.wav")
        wav(short_src, 4000, 0.2)
        files = {
            "wav-u8-4k": (["sox", src, "-b", "8", "-e", "unsigned-integer"], "wav"),
            "flac-4k": (["sox", src], "flac"),
            "ogg-vorbis-4k": (["sox", src, "-C", "-1"], "ogg"),
            "aiff-4k": (["sox", src, "-b", "8"], "aiff"),
            "au-ulaw-4k": (["sox", src, "-e", "u-law"], "au"),
            "wav-float-stereo-short": (["sox", short_src, "-c", "2", "-e", "floating-point", "-b", "32"], "wav"),
            "ogg-opus": (["ffmpeg", "-loglevel", "error", "-i", src, "-ar", "8000", "-c:a", "libopus", "-b:a", "6k"], "opus"),
        }
        for i, (name, (cmd, ext)) in enumerate(files.items()):
            out = os.path.join(tmp, f"{name}.{ext}")
            subprocess.run(cmd + [out], check=True)
            with open(out, "rb") as f:
                write("reference", name, bytes([i % 4]) + f.read())
        short = os.path.join(tmp, "short.wav")
        wav(short, 8000, 0.05)
        with open(short, "rb") as f:
            write("reference", "wav-too-short", b"\x00" + f.read())
        quiet = os.path.join(tmp, "quiet.wav")
        wav(quiet, 4000, 1.0, amplitude=0.001)
        subprocess.run(["sox", quiet, "-b", "8", "-e", "unsigned-integer", quiet + ".u8.wav"], check=True)
        with open(quiet + ".u8.wav", "rb") as f:
            write("reference", "wav-silent", b"\x01" + f.read())
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    native()
    wyoming()
    http()
    multipart()
    elevenlabs()
    frontend()
    lexicon()
    ssml()
    reference()
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(ROOT) for f in fs)
    print(f"corpus: {total} bytes under {ROOT}", file=sys.stderr)
