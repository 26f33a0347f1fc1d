#!/bin/sh
# Writes BUILDDIR/man/ttsd.1 and ttsc.1 with help2man from the programs' --help and --version;
# ttsc's page also carries the --help of each subcommand (and of voice's own subcommands).
# Usage: debian/make-manpages.sh BUILDDIR   (from the source tree's root, as debian/rules runs it)
set -eu
build=$(cd "$1" && pwd)
out="$build/man"
mkdir -p "$out"
# Run as `ttsd` and `ttsc`, so usage lines name the program rather than the build directory.
PATH="$build/daemon:$build/client:$PATH"
# ttsd's --help shows defaults under $XDG_CONFIG_HOME: keep the variable's name, not the builder's home.
XDG_CONFIG_HOME='$XDG_CONFIG_HOME'
export PATH XDG_CONFIG_HOME

# A CLI11 --help text as roff: each option a tagged paragraph, like help2man's own OPTIONS.
# Backslashes and minus signs escaped first; no line may start a request.
help_roff() {
  sed -e 's/\\/\\e/g' -e 's/-/\\-/g' | awk '
    function text(s) { if (s ~ /^[.\047]/) s = "\\&" s; return s }
    /^$/ { next }
    /^Usage:/ { print ".PP"; print text($0); next }
    /^[A-Z][A-Za-z ]*:$/ { print ".PP"; print "\\fB" $0 "\\fR"; next }
    /^  [^ ]/ {
      line = substr($0, 3); desc = ""
      if (match(line, /   */)) { desc = substr(line, RSTART + RLENGTH); line = substr(line, 1, RSTART - 1) }
      print ".TP"; print "\\fB" text(line) "\\fR"; if (desc != "") print text(desc); next
    }
    /^ / { sub(/^ +/, ""); print text($0); next }
    { print text($0) }'
}
# The subcommand names of a --help text (its "Subcommands:" list).
subcommands() { sed -n '/^Subcommands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'; }

include="$out/ttsc.h2m"
{
  cat <<'H2M'
[<DESCRIPTION]
ttsc sends text to ttsd and plays the audio as it arrives (PortAudio), or writes it (WAV, raw PCM,
Ogg Opus, MP3, FLAC, AAC), streams it as Opus over RTP or HTTP, or queues it on an output channel.
Text can stream from a pipe into one open request (say \-\-stdin).
H2M
  echo "[SUBCOMMANDS]"
  echo "Each subcommand takes \\-\\-help. Their options:"
  for sub in $(ttsc --help | subcommands); do
    echo ".SS \"ttsc $sub\""
    ttsc "$sub" --help | help_roff
    for subsub in $(ttsc "$sub" --help | subcommands); do
      echo ".SS \"ttsc $sub $subsub\""
      ttsc "$sub" "$subsub" --help | help_roff
    done
  done
  echo "[ENVIRONMENT]"
  echo ".TP"
  echo ".B TTSD_SOCKET"
  echo "ttsd's socket, when \\-\\-socket is not given."
  echo ".TP"
  echo ".B XDG_RUNTIME_DIR"
  echo "without either, the socket is \$XDG_RUNTIME_DIR/ttsd/ttsd.sock (the user units' socket)."
  echo "[SEE ALSO]"
  echo ".BR ttsd (1)"
} >"$include"

cat >"$out/ttsd.h2m" <<'H2M'
[=DESCRIPTION]
ttsd keeps voice models resident and streams speech over a Unix socket while it is being generated,
so the first audio arrives in milliseconds however long the text is; ttsc(1) is its client. It also
answers an OpenAI\-compatible HTTP API with a control page (\-\-http, on 127.0.0.1:5002 by default),
ElevenLabs' WebSocket API and Prometheus' /metrics on the same listener, and Home Assistant's Wyoming
protocol (\-\-wyoming).
.PP
Every option is also a key of the config file (TOML, the long option's name without dashes);
options given on the command line win over the file. \fB\-\-print\-config\fR shows the values in effect.
Without \fB\-\-voices\fR, ttsd loads the voice packages in $XDG_DATA_HOME/ttsd/voices and
/usr/share/ttsd/voices. Under systemd (socket activation) it takes the socket systemd passes and
reports readiness once the voices are loaded and warmed up.
[FILES]
.TP
.I $XDG_CONFIG_HOME/ttsd/ttsd.toml
the config file (\-\-config): every key is a long option; options win over the file.
.TP
.I /etc/ttsd/ttsd.toml
the config file of the system-wide service (ttsd.service, user ttsd).
.TP
.I /usr/share/ttsd/voices
the voice packages installed with ttsd (the default voice ttsd\-en), loaded when \-\-voices is not given,
together with $XDG_DATA_HOME/ttsd/voices.
.TP
.I /usr/lib/systemd/user/ttsd.socket, ttsd.service
the user units: ttsd started on the first connection to $XDG_RUNTIME_DIR/ttsd/ttsd.sock.
.TP
.I /lib/systemd/system/ttsd.socket, ttsd.service
the system units: ttsd as user ttsd on /run/ttsd/ttsd.sock, for members of group ttsd; saved voices in
/var/lib/ttsd/voices.
[SIGNALS]
SIGTERM or SIGINT: stop accepting, let open requests finish (up to \-\-drain\-timeout seconds), exit 0;
a second one ends the wait at once. SIGHUP: re-read the pronunciation lexicon.
[SEE ALSO]
.BR ttsc (1),
/usr/share/doc/ttsd/README.md.gz
H2M

help2man --no-info --name="streaming text-to-speech daemon" \
  --include="$out/ttsd.h2m" --output="$out/ttsd.1" ttsd
help2man --no-info --name="client for the ttsd streaming text-to-speech daemon" \
  --include="$include" --output="$out/ttsc.1" ttsc
