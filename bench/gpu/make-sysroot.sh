#!/bin/sh
# Packs the Debian 12 build dependencies of ttsd (bench/gpu/debian-packages.txt) into one archive that
# a machine without them (a lent GPU machine: no apt, no network) unpacks next to the source tree.
# Runs on Debian 12: downloads the .deb files with apt-get download, unpacks each with dpkg -x into a
# staging sysroot, drops what the build never reads (docs, flite's voices and static libraries, all of
# unicode-data but the Unihan readings), and writes OUT (default .gpu-deps/sysroot.tar.xz).
# Usage: bench/gpu/make-sysroot.sh [OUT]     then: bench/gpu/build-on-device.sh (on the GPU machine)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-.gpu-deps/sysroot.tar.xz}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/debs" "$work/sysroot" "$(dirname "$out")"
pkgs=$(grep -v '^#' "$here/debian-packages.txt" | tr '\n' ' ')
echo "make-sysroot: downloading $(echo $pkgs | wc -w) packages"
(cd "$work/debs" && apt-get download -q $pkgs)
for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$work/sysroot"; done

s="$work/sysroot/usr"
rm -rf "$s/share/doc" "$s/share/man" "$s/share/lintian" "$s/share/bug" "$s/share/bash-completion"
# flite: only the library, the CMU lexicon and the US English rules are linked (engine/CMakeLists.txt).
find "$s/lib" -name 'libflite*.a' -delete
find "$s/lib" -name 'libflite_cmu_*' ! -name 'libflite_cmulex*' -delete
# unicode-data: only the Mandarin readings table is read.
find "$s/share/unicode" -type f ! -name 'Unihan_Readings.txt.bz2' -delete
# Libraries used only where the machine has none of that soname: kept apart (build-on-device.sh).
mkdir -p "$work/sysroot/fallback"
for lib in libgomp.so.1 libcap.so.2 libgcrypt.so.20 libgpg-error.so.0 liblz4.so.1 libzstd.so.1 liblzma.so.5 \
           libdb-5.3.so libsamplerate.so.0; do
  for f in "$s/lib/x86_64-linux-gnu/$lib"* "$work/sysroot/lib/x86_64-linux-gnu/$lib"*; do
    [ -e "$f" ] && mv "$f" "$work/sysroot/fallback/"
  done
done
# Debian 12 keeps some libraries in /lib (merged /usr in practice): move them under usr/.
if [ -d "$work/sysroot/lib" ]; then
  cp -a "$work/sysroot/lib/." "$s/lib/" && rm -rf "$work/sysroot/lib"
fi
ls "$work/debs" | sed 's/_amd64.deb$//; s/_all.deb$//' > "$work/sysroot/PACKAGES"

tar -C "$work/sysroot" -cJf "$out" .
echo "make-sysroot: $out, $(du -h "$out" | cut -f1) ($(du -sh "$work/sysroot" | cut -f1) unpacked)"
