#!/bin/sh
# The Debian package end to end (README.md, "Debian package"):
#   1. builds it (make deb), unless --no-build;
#   2. lintian on the .debs: fails on any error or warning (overrides: debian/ttsd.lintian-overrides);
#   3. a clean Debian 12 (debootstrap --variant=minbase bookworm, with bookworm-updates and
#      bookworm-security as on a fresh install), and `apt-get install ./ttsd_*.deb` in it, so apt resolves
#      the package's Depends from Debian's mirror; checks what it installed and where;
#   4. systemd (for systemd-analyze and systemd-socket-activate; not a dependency of ttsd): the installed
#      units verified by `systemd-analyze verify`, the system service's sandbox scored;
#   5. speaks through the installed system units: systemd is not PID 1 here, so the test does what the
#      units tell systemd to do. From ttsd.socket: the socket at ListenStream, with SocketMode and
#      SocketGroup, handed over by systemd-socket-activate; from ttsd.service: StateDirectory, then
#      ExecStart exactly, as User/Group, with no new privileges. A user in the socket's group lists the
#      voices, speaks a sentence to a WAV file (checked below: speech-like loudness, plausible length,
#      recognised by pocketsphinx where the host has it) and saves a voice cloned from it into the state
#      directory; a user outside the group is refused; SIGTERM stops ttsd with status 0.
# systemd itself (socket activation by PID 1, Type=notify, the sandbox) is not exercised.
# Needs root (debootstrap, chroot, mounts) and http://deb.debian.org. Prints the times and sizes.
# Usage: tests/deploy/deb-test.sh [--no-build] [--keep]    (DEB_BUILD=build-deb JOBS=2 from make)
set -eu
cd "$(dirname "$0")/../.."
DEB_BUILD=${DEB_BUILD:-build-deb}
JOBS=${JOBS:-2}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SENTENCE="Hello from the new package. This sentence was spoken by the program it installed."
build=1
keep=""
for arg in "$@"; do
  case $arg in
    --no-build) build="" ;;
    --keep) keep=1 ;;
    *) echo "usage: $0 [--no-build] [--keep]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "deb-test: needs root (debootstrap, chroot, mount)" >&2; exit 2; }

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }  # seconds since a $(now)
t_start=$(now)
say() { echo "deb-test: $*"; }
fail() { echo "deb-test: FAIL: $*" >&2; exit 1; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }

# 1. The package.
t=$(now)
if [ -n "$build" ]; then
  make deb DEB_BUILD="$DEB_BUILD" JOBS="$JOBS"
else
  ./install-deps.sh --deb
fi
t_build=$(since "$t")
deb=$(ls "$DEB_BUILD"/ttsd_*_*.deb | head -1)
dbgsym=$(ls "$DEB_BUILD"/ttsd-dbgsym_*_*.deb 2>/dev/null | head -1 || true)
[ -f "$deb" ] || fail "no ttsd_*.deb in $DEB_BUILD"
version=$(dpkg-deb -f "$deb" Version)
say "package $deb ($(mib "$(stat -c %s "$deb")"), installed size $(dpkg-deb -f "$deb" Installed-Size) KiB)"
say "Depends: $(dpkg-deb -f "$deb" Depends)"

# 2. lintian.
t=$(now)
lintian_log="$DEB_BUILD/lintian.log"
if lintian --fail-on error,warning --display-info --pedantic --show-overrides "$deb" ${dbgsym:+"$dbgsym"} >"$lintian_log" 2>&1; then
  lintian_ok=1
else
  lintian_ok=""
fi
t_lintian=$(since "$t")
say "lintian ($t_lintian s): $(grep -c '^E:' "$lintian_log" || true) errors, $(grep -c '^W:' "$lintian_log" || true)" \
    "warnings, $(grep -c '^I:' "$lintian_log" || true) info, $(grep -c '^P:' "$lintian_log" || true) pedantic," \
    "$(grep -c '^O:' "$lintian_log" || true) overridden"
sed 's/^/  /' "$lintian_log"
[ -n "$lintian_ok" ] || fail "lintian reports errors or warnings ($lintian_log)"

# 3. A clean Debian 12 and the package installed into it.
root=$(mktemp -d /var/tmp/ttsd-deb-test.XXXXXX)
chmod 755 "$root"  # it becomes /, which every user must be able to enter
ttsd_pid=""
cleanup() {
  [ -n "$ttsd_pid" ] && kill "$ttsd_pid" 2>/dev/null && sleep 1
  for m in dev/pts dev sys proc; do umount "$root/$m" 2>/dev/null || umount -l "$root/$m" 2>/dev/null || true; done
  if [ -n "$keep" ]; then say "kept the chroot $root"; else rm -rf --one-file-system "$root"; fi
}
trap cleanup EXIT
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

t=$(now)
# A mirror's hiccup is retried once from nothing (debootstrap cannot resume), apt's downloads 5 times.
if ! debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$DEB_BUILD/debootstrap.log" 2>&1; then
  tail -5 "$DEB_BUILD/debootstrap.log"
  say "debootstrap failed; once more"
  find "$root" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$DEB_BUILD/debootstrap.log" 2>&1 ||
    { tail -20 "$DEB_BUILD/debootstrap.log"; fail "debootstrap"; }
fi
t_debootstrap=$(since "$t")
bootstrap_bytes=$(find "$root/var/cache/apt/archives" -name '*.deb' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
say "debootstrap --variant=minbase bookworm: $t_debootstrap s, $(find "$root/var/cache/apt/archives" -name '*.deb' | wc -l)" \
    "packages, $(mib "$bootstrap_bytes") of .debs"
cat >"$root/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://security.debian.org/debian-security bookworm-security main
EOF
rm -f "$root"/var/cache/apt/archives/*.deb
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
# Nothing may start services in the chroot (there is no systemd running anyway).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 755 "$root/usr/sbin/policy-rc.d"
echo 'Acquire::Retries "5";' >"$root/etc/apt/apt.conf.d/80retries"

t=$(now)
in_root apt-get update >"$DEB_BUILD/apt-update.log" 2>&1 || { cat "$DEB_BUILD/apt-update.log"; fail "apt-get update"; }
cp "$deb" "$root/tmp/" && chmod 644 "$root/tmp/$(basename "$deb")"
# What the install would download without Recommends (apt's default installs them).
bare_bytes=$(in_root apt-get install -qq --print-uris --no-install-recommends "/tmp/$(basename "$deb")" |
  awk '$1 ~ /^.http/ { s += $3 } END { print s + 0 }')
in_root apt-get install -y "/tmp/$(basename "$deb")" >"$DEB_BUILD/apt-install.log" 2>&1 ||
  { tail -40 "$DEB_BUILD/apt-install.log"; fail "apt-get install ./$(basename "$deb")"; }
t_install=$(since "$t")
need=$(grep -o 'Need to get [^ ]* [kMG]*B' "$DEB_BUILD/apt-install.log" | head -1 || true)
after=$(grep -o 'After this operation, [^ ]* [kMG]*B' "$DEB_BUILD/apt-install.log" | head -1 || true)
npkgs=$(grep -o '[0-9]* newly installed' "$DEB_BUILD/apt-install.log" | head -1 || true)
say "apt-get update + install ./$(basename "$deb"): $t_install s; $npkgs; $need; $after"

# What the package installed, and where.
for f in /usr/bin/ttsd /usr/bin/ttsc /usr/share/ttsd/voices/ttsd-en/voice.json /usr/share/ttsd/voices/ttsd-en/vocoder.ts \
         /lib/systemd/system/ttsd.service /lib/systemd/system/ttsd.socket \
         /usr/lib/systemd/user/ttsd.service /usr/lib/systemd/user/ttsd.socket \
         /etc/ttsd/ttsd.toml /usr/share/doc/ttsd/examples/ttsd.toml /usr/share/doc/ttsd/copyright \
         /usr/share/man/man1/ttsd.1.gz /usr/share/man/man1/ttsc.1.gz; do
  [ -e "$root$f" ] || fail "$f is not installed"
done
in_root dpkg-query -W -f='${Conffiles}\n' ttsd | grep -q '/etc/ttsd/ttsd.toml' || fail "/etc/ttsd/ttsd.toml is not a conffile"
[ "$(in_root ttsd --version)" = "ttsd ${version%%-*}" ] || fail "ttsd --version says '$(in_root ttsd --version)', the package $version"
[ "$(in_root ttsc --version)" = "ttsc ${version%%-*}" ] || fail "ttsc --version says '$(in_root ttsc --version)'"
in_root sh -c 'ldd /usr/bin/ttsd /usr/bin/ttsc' | grep 'not found' && fail "unresolved libraries"
blas=$(in_root readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)
case $blas in *openblas*) ;; *) fail "libblas.so.3 is $blas, not OpenBLAS" ;; esac
passwd=$(in_root getent passwd ttsd) || fail "no user ttsd"
say "user: $passwd; group: $(in_root getent group ttsd)"
# The user socket is enabled for every user, the user service and the system units are not.
[ -L "$root/etc/systemd/user/sockets.target.wants/ttsd.socket" ] || fail "the user ttsd.socket is not enabled globally"
[ ! -e "$root/etc/systemd/user/default.target.wants/ttsd.service" ] || fail "the user ttsd.service is enabled"
[ ! -e "$root/etc/systemd/system/sockets.target.wants/ttsd.socket" ] || fail "the system ttsd.socket is enabled"
[ ! -e "$root/etc/systemd/system/multi-user.target.wants/ttsd.service" ] || fail "the system ttsd.service is enabled"
grep -qx 'ExecStart=/usr/bin/ttsd' "$root/usr/lib/systemd/user/ttsd.service" || fail "the user unit's ExecStart"
# Every key of the config example is an option of the installed ttsd: all uncommented, it is accepted.
sed -E 's/^# ([a-z-]+ = )/\1/; /^(lexicon|http-token-file) = /d' "$root/usr/share/doc/ttsd/examples/ttsd.toml" \
  >"$root/tmp/all-keys.toml"
in_root ttsd --config /tmp/all-keys.toml --print-config >/dev/null || fail "the config example's keys"
say "installed files, conffile, versions, libraries (libblas.so.3 = $blas), user and unit enablement: ok"

# 4. systemd's view of the units. systemd and man-db (so that verify finds the man pages Documentation=
# names) are no dependencies of ttsd; apt installs them here unless the dependencies' own brought them.
t=$(now)
in_root apt-get install -y --no-install-recommends systemd man-db >"$DEB_BUILD/apt-systemd.log" 2>&1 ||
  { tail -20 "$DEB_BUILD/apt-systemd.log"; fail "apt-get install systemd man-db"; }
t_systemd=$(since "$t")
in_root systemd-analyze verify /lib/systemd/system/ttsd.socket /lib/systemd/system/ttsd.service \
  >"$DEB_BUILD/verify-system.log" 2>&1 || { cat "$DEB_BUILD/verify-system.log"; fail "systemd-analyze verify (system units)"; }
mkdir -p "$root/tmp/xdg-run" && chmod 700 "$root/tmp/xdg-run"
in_root env XDG_RUNTIME_DIR=/tmp/xdg-run systemd-analyze verify --user /usr/lib/systemd/user/ttsd.socket \
  /usr/lib/systemd/user/ttsd.service >"$DEB_BUILD/verify-user.log" 2>&1 ||
  { cat "$DEB_BUILD/verify-user.log"; fail "systemd-analyze verify --user (user units)"; }
exposure=$(in_root systemd-analyze security --offline=true /lib/systemd/system/ttsd.service 2>&1 |
  sed -n 's/.*Overall exposure level for ttsd.service: \([0-9.]*\).*/\1/p')
say "systemd-analyze verify: system units: $(wc -l <"$DEB_BUILD/verify-system.log") lines of output," \
    "user units: $(wc -l <"$DEB_BUILD/verify-user.log"); system service exposure $exposure (systemd, man-db installed in $t_systemd s)"
cat "$DEB_BUILD/verify-system.log" "$DEB_BUILD/verify-user.log" | sed 's/^/  /'

# 5. What the system units tell systemd to do, done by hand.
unit_value() {  # FILE KEY: the last value of KEY in the unit
  sed -n "s/^$2=//p" "$root$1" | tail -1
}
exec_start=$(unit_value /lib/systemd/system/ttsd.service ExecStart)
user=$(unit_value /lib/systemd/system/ttsd.service User)
group=$(unit_value /lib/systemd/system/ttsd.service Group)
state=$(unit_value /lib/systemd/system/ttsd.service StateDirectory)
state_mode=$(unit_value /lib/systemd/system/ttsd.service StateDirectoryMode)
listen=$(unit_value /lib/systemd/system/ttsd.socket ListenStream)
socket_mode=$(unit_value /lib/systemd/system/ttsd.socket SocketMode)
socket_group=$(unit_value /lib/systemd/system/ttsd.socket SocketGroup)
dir_mode=$(unit_value /lib/systemd/system/ttsd.socket DirectoryMode)
say "ttsd.service: ExecStart=$exec_start User=$user Group=$group StateDirectory=$state ($state_mode)"
say "ttsd.socket: ListenStream=$listen SocketMode=$socket_mode SocketGroup=$socket_group DirectoryMode=$dir_mode"
home=$(echo "$passwd" | cut -d: -f6)
install -d -m "${dir_mode:-0755}" "$root$(dirname "$listen")"
install -d -m "${state_mode:-0755}" -o "$(in_root id -u "$user")" -g "$(in_root getent group "$group" | cut -d: -f3)" \
  "$root/var/lib/$state"
# Two users: one in the socket's group, one not.
in_root useradd -m -G "$socket_group" alice
in_root useradd -m bob
as_user() {  # USER COMMAND...: run in the chroot as USER, with the system socket
  u=$1; shift
  in_root setpriv --reuid="$u" --regid="$u" --init-groups -- env HOME="/home/$u" TTSD_SOCKET="$listen" "$@"
}

t=$(now)
# systemd-socket-activate binds the socket and execs setpriv, which execs ExecStart: ttsd keeps the pid
# ($LISTEN_PID) and takes the socket as it does from systemd. The environment is a system service's.
# shellcheck disable=SC2086 # ExecStart is split on spaces, as it holds no quotes
chroot "$root" /usr/bin/systemd-socket-activate -l "$listen" \
  -E PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin -E LANG=C.UTF-8 \
  -E HOME="$home" -E USER="$user" -E LOGNAME="$user" -E SHELL=/usr/sbin/nologin \
  -E STATE_DIRECTORY="/var/lib/$state" -- \
  /usr/bin/setpriv --reuid="$user" --regid="$group" --init-groups --no-new-privs -- $exec_start \
  >"$DEB_BUILD/ttsd.log" 2>&1 &
ttsd_pid=$!
for _ in $(seq 100); do [ -S "$root$listen" ] && break; sleep 0.05; done
[ -S "$root$listen" ] || { cat "$DEB_BUILD/ttsd.log"; fail "no socket at $listen"; }
chgrp "$(in_root getent group "$socket_group" | cut -d: -f3)" "$root$listen"
chmod "$socket_mode" "$root$listen"
ok=""
for _ in $(seq 600); do
  if as_user alice ttsc ping >/dev/null 2>&1; then ok=1; break; fi
  kill -0 "$ttsd_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$ok" ] || { cat "$DEB_BUILD/ttsd.log"; fail "ttsd did not answer on $listen"; }
t_ready=$(since "$t")
grep -q 'listening on the socket systemd passed' "$DEB_BUILD/ttsd.log" || { cat "$DEB_BUILD/ttsd.log"; fail "ttsd did not take the passed socket"; }
[ "$(stat -c %u "/proc/$ttsd_pid")" = "$(in_root id -u "$user")" ] || fail "ttsd does not run as $user"
as_user alice ttsc voices | grep -q ttsd-en || fail "ttsc voices does not list ttsd-en"
t=$(now)
as_user alice ttsc say --stats -o /home/alice/hello.wav "$SENTENCE" 2>"$DEB_BUILD/say-stats.json" ||
  { cat "$DEB_BUILD/say-stats.json" "$DEB_BUILD/ttsd.log"; fail "ttsc say"; }
t_say=$(since "$t")
cp "$root/home/alice/hello.wav" "$DEB_BUILD/deb-test-hello.wav"
say "ttsd answered $t_ready s after it started; ttsc say: $(cat "$DEB_BUILD/say-stats.json")"
if as_user bob ttsc ping >"$DEB_BUILD/bob.log" 2>&1; then fail "a user outside group $socket_group reached ttsd"; fi
say "a user outside group $socket_group is refused: $(head -1 "$DEB_BUILD/bob.log")"
# The state directory is ttsd's to write: a voice cloned from the sentence is saved there.
as_user alice ttsc voice add deb-test /home/alice/hello.wav >"$DEB_BUILD/voice-add.log" 2>&1 ||
  { cat "$DEB_BUILD/voice-add.log" "$DEB_BUILD/ttsd.log"; fail "ttsc voice add"; }
saved=$(ls "$root/var/lib/$state/voices")
say "saved voice in /var/lib/$state/voices: $saved (owner $(in_root stat -c %U:%G "/var/lib/$state/voices/$saved"))"
kill -TERM "$ttsd_pid"
status=0
wait "$ttsd_pid" || status=$?
ttsd_pid=""
[ "$status" -eq 0 ] || { cat "$DEB_BUILD/ttsd.log"; fail "ttsd exited with status $status after SIGTERM"; }

# The WAV: 16-bit PCM, as long as the sentence takes to say, loud enough, mostly voiced; and, where
# the host has pocketsphinx (./install-deps.sh --train), recognised as the sentence.
/usr/bin/python3 - "$DEB_BUILD/deb-test-hello.wav" "$SENTENCE" <<'EOF'
import os, re, struct, sys
path, sentence = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", "not a WAV file"
pos, rate, pcm = 12, None, None
while pos + 8 <= len(data):
    cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
    if cid == b"fmt ":
        fmt, channels, rate = struct.unpack("<HHI", data[pos + 8:pos + 16])
        bits = struct.unpack("<H", data[pos + 22:pos + 24])[0]
        assert fmt == 1 and channels == 1 and bits == 16, f"format {fmt}, {channels} channels, {bits} bits"
    if cid == b"data":
        pcm = data[pos + 8:pos + 8 + min(size, len(data) - pos - 8)]
        break
    pos += 8 + size + (size & 1)
samples = struct.unpack(f"<{len(pcm) // 2}h", pcm[: len(pcm) // 2 * 2])
seconds = len(samples) / rate
words = len(re.findall(r"[A-Za-z']+", sentence))
frame = rate // 40  # 25 ms
frames = [samples[i:i + frame] for i in range(0, len(samples) - frame + 1, frame)]
rms = lambda xs: (sum(x * x for x in xs) / max(len(xs), 1)) ** 0.5 / 32768
loud = sum(1 for f in frames if rms(f) > 0.01) / max(len(frames), 1)
clipped = sum(1 for x in samples if abs(x) >= 32767) / max(len(samples), 1)
total = rms(samples)
print(f"deb-test: WAV {rate} Hz, {seconds:.2f} s for {words} words ({seconds / words:.2f} s/word), "
      f"RMS {total:.3f}, {loud:.0%} of 25 ms frames above -40 dBFS, {clipped:.2%} clipped")
problems = []
if not 0.15 * words <= seconds <= 1.0 * words:
    problems.append(f"{seconds:.2f} s is not a plausible length for {words} words")
if total < 0.01:
    problems.append("too quiet to be speech")
if not 0.3 <= loud <= 0.98:
    problems.append("not speech-like: voiced frames and pauses")
if clipped > 0.01:
    problems.append("clipped")
try:
    from pocketsphinx import Decoder
    model = "/usr/share/pocketsphinx/model/en-us"
    c = Decoder.default_config()
    c.set_string("-hmm", os.path.join(model, "en-us"))
    c.set_string("-lm", os.path.join(model, "en-us.lm.bin"))
    c.set_string("-dict", os.path.join(model, "cmudict-en-us.dict"))
    c.set_string("-logfn", "/dev/null")
    if rate != 16000:
        raise ImportError(f"rate {rate}")
    d = Decoder(c)
    d.start_utt(); d.process_raw(pcm, False, True); d.end_utt()
    hyp = d.hyp().hypstr if d.hyp() else ""
    ref, got = re.findall(r"[a-z']+", sentence.lower()), re.findall(r"[a-z']+", hyp.lower())
    dist = list(range(len(got) + 1))
    for i in range(1, len(ref) + 1):
        prev, dist[0] = dist[0], i
        for j in range(1, len(got) + 1):
            prev, dist[j] = dist[j], min(dist[j] + 1, dist[j - 1] + 1, prev + (ref[i - 1] != got[j - 1]))
    wer = dist[len(got)] / len(ref)
    print(f"deb-test: pocketsphinx heard \"{hyp}\": WER {wer:.0%}")
    if wer > 0.5:
        problems.append(f"pocketsphinx's WER {wer:.0%} is over 50%")
except ImportError as e:
    print(f"deb-test: no pocketsphinx on the host ({e}): the words are not checked")
if problems:
    print("deb-test: FAIL: the WAV: " + "; ".join(problems), file=sys.stderr)
sys.stdout.flush(); sys.stderr.flush()
os._exit(1 if problems else 0)  # no destructors: pocketsphinx's wrapper reports a leak at exit
EOF

t_total=$(since "$t_start")
say "PASS: $deb"
say "times: build ${t_build} s, lintian ${t_lintian} s, debootstrap ${t_debootstrap} s, apt-get update + install" \
    "${t_install} s, systemd for the checks ${t_systemd} s, ttsd ready ${t_ready} s, say ${t_say} s; total ${t_total} s"
say "downloads: debootstrap $(mib "$bootstrap_bytes") of .debs; the package's dependencies: ${need#Need to get }" \
    "($(mib "$bare_bytes") without Recommends)"
