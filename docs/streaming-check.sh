#!/bin/bash
# Runs the commands of docs/streaming.md, sections 2 to 6, in a private PulseAudio and a ttsd of BIN
# (default: build/) on 127.0.0.1:5012, and prints what each gave. docs/streaming.md says what it showed.
set -u
BIN=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/build}
W=${W:-/tmp/ttsd-streaming-check}; rm -rf $W; mkdir -p $W/home $W/rt; chmod 700 $W/rt
export HOME=$W/home XDG_RUNTIME_DIR=$W/rt PATH=$BIN/daemon:$BIN/client:$PATH
unset PULSE_SERVER TTSD_SOCKET
cd "$(dirname "$0")/.."
pulseaudio --daemonize=no --exit-idle-time=-1 -n --log-level=warning \
  --load="module-native-protocol-unix auth-anonymous=1" --load="module-null-sink sink_name=speakers rate=48000 channels=1" \
  > $W/pulse.log 2>&1 & PA=$!
sleep 1.5
pids=($PA)
cleanup() { for p in "${pids[@]}"; do kill $p 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT
step() { echo "== $*"; }
step 1; ttsd --voices models/voices --http 127.0.0.1:5012 > $W/ttsd.log 2>&1 & pids+=($!)
for i in $(seq 100); do ttsc ping >/dev/null 2>&1 && break; sleep 0.2; done
ttsc voices | head -3
step 2 vmic
pactl load-module module-null-sink sink_name=vmic rate=48000 channels=1 sink_properties=device.description=ttsd-speech
pactl load-module module-remap-source source_name=vmic_mic master=vmic.monitor source_properties=device.description=ttsd-mic
parec -d vmic_mic --rate=48000 --channels=1 --format=s16le --raw > $W/mic.raw & pids+=($!)
ttsc listen --channel stream --device vmic 2> $W/listen.err & pids+=($!)
sleep 1
ttsc say --channel stream "Hello, stream." ; echo "say rc=$?"
sleep 0.5
/usr/bin/python3 -c "
import array,sys; a=array.array('h'); a.frombytes(open('$W/mic.raw','rb').read()[:(len(open('$W/mic.raw','rb').read())//2)*2]); print('mic: %.2f s, peak %d' % (len(a)/48000, max((abs(x) for x in a), default=0)))"
step 2 rtp
ttsc listen --channel stream --rtp 127.0.0.1:5014 --sdp $W/ttsc.sdp 2> $W/rtp.err & pids+=($!)
sleep 1; head -3 $W/ttsc.sdp
step 2 http-ogg
ttsc listen --channel stream --http 127.0.0.1:8091 2> $W/http.err & pids+=($!)
sleep 1; timeout 2 curl -s http://127.0.0.1:8091/stream.ogg -o $W/s.ogg; ls -la $W/s.ogg | awk '{print "ogg bytes", $5}'
step 3 chat
cp examples/chat-rules.toml $HOME/chat-rules.toml
ttsc chat twitch yourchannel --channel stream --rules $HOME/chat-rules.toml --server irc://127.0.0.1:9 > $W/chat.out 2>&1 & CHAT=$!; pids+=($CHAT)
sleep 2; kill -HUP $CHAT; sleep 0.5
printf '[text]\nmax_chars = "lots"\n' > $HOME/chat-rules.toml; sleep 2
kill $CHAT; sleep 0.3; grep -E "rules|keeping|error" $W/chat.out | head -5
step 4 dock
curl -s -o /dev/null -w "page %{http_code}\n" "http://127.0.0.1:5012/?channel=stream"
ttsc say --channel stream --no-wait "One." 2>/dev/null; ttsc say --channel stream --no-wait "Two, a longer one to sit in the queue for a while." 2>/dev/null
ttsc channel --channel stream
id=$(ttsc channel --channel stream --json | /usr/bin/python3 -c "import json,sys; s=json.load(sys.stdin); print(s['queue'][0]['id'] if s['queue'] else s['current']['id'])")
ttsc remove --channel stream $id; echo "remove rc=$?"
ttsc pause --channel stream; echo "pause rc=$?"; ttsc resume --channel stream; echo "resume rc=$?"
ttsc skip --channel stream; echo "skip rc=$?"; ttsc clear --channel stream; echo "clear rc=$?"
ttsc volume --channel stream 0.8; echo "volume rc=$?"
step 5 loudness
ttsc say --loudness -o $W/even.wav "Evenly loud." ; echo "say --loudness rc=$?"
ttsc say --loudness-target -20 -o $W/even20.wav "Evenly loud." ; echo "say --loudness-target rc=$?"
curl -s -o $W/http.wav -w "http loudness %{http_code}\n" -H 'Content-Type: application/json' -d '{"input":"Evenly loud.","loudness":true,"response_format":"wav"}' http://127.0.0.1:5012/v1/audio/speech
step 6 check
ttsc say --channel stream --stats "Testing, one, two."
curl -s http://127.0.0.1:5012/metrics | grep ttsd_channel_ | grep -v "^#"
echo == listen stderr; head -3 $W/listen.err
