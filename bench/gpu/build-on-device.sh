#!/bin/bash
# Builds ttsd on a machine that has a pip-installed PyTorch (CUDA) but none of ttsd's Debian packages:
# a lent GPU machine (no apt, no network). libtorch comes from the pip package
# (torch.utils.cmake_prefix_path); everything else from the Debian 12 sysroot that
# bench/gpu/make-sysroot.sh packed, unpacked here under $TTSD_SYSROOT (never into /).
# Usage: bench/gpu/build-on-device.sh SYSROOT_ARCHIVE BUILD_DIR [ninja targets...]
# Env: TTSD_SYSROOT (default /tmp/ttsd-sysroot), TTSD_TORCH_PREFIX (default: from python3's torch),
#      TTSD_PKG_CONFIG=sysroot to use the sysroot's pkgconf even where the machine has pkg-config.
# Afterwards, programs find the sysroot's libraries through their RPATH: no LD_LIBRARY_PATH needed.
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
archive=$(realpath "$1")
build=$2
shift 2
sysroot=${TTSD_SYSROOT:-/tmp/ttsd-sysroot}
lib=$sysroot/usr/lib/x86_64-linux-gnu
t0=$SECONDS

echo "== machine"
uname -srm
(. /etc/os-release && echo "$PRETTY_NAME") || true
ldd --version | sed -n 1p
c++ --version | sed -n 1p
echo "compilers: $(ls /usr/bin/g++-* /usr/bin/clang++* 2>/dev/null | tr '\n' ' ')"
# C++23 (std::expected) needs GCC 12 or newer: take the newest g++-N when the default is older.
if [ -z "${CXX:-}" ] && [ "$(c++ -dumpversion | cut -d. -f1)" -lt 12 ]; then
  newest=$(ls /usr/bin/g++-[0-9]* 2>/dev/null | sort -t- -k2 -n | tail -n 1 || true)
  if [ -n "$newest" ]; then
    export CXX=$newest CC=${newest/g++/gcc}
    echo "default c++ is older than GCC 12: using $CXX"
  fi
fi
cmake --version | sed -n 1p
echo "ninja $(ninja --version)"
command -v nvcc >/dev/null && nvcc --version | tail -n 2 | sed -n 1p || echo "nvcc: not on PATH"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader \
  || echo "nvidia-smi: none"
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda,
  "available", torch.cuda.is_available(), torch.utils.cmake_prefix_path)' || true
echo "cores $(nproc)"

echo "== sysroot $sysroot from $archive"
rm -rf "$sysroot"
mkdir -p "$sysroot"
if command -v xz >/dev/null; then
  tar -C "$sysroot" -xJf "$archive"
else
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$archive" "$sysroot"
fi
# Libraries the machine normally has: used only where it lacks that soname.
for f in "$sysroot"/fallback/*; do
  name=$(basename "$f")
  if ! ldconfig -p | grep "^[[:space:]]*$name " >/dev/null; then
    echo "sysroot: the machine has no $name, using Debian's"
    cp -L "$f" "$lib/$name"
  fi
done

export PKG_CONFIG_LIBDIR=$lib/pkgconfig:$sysroot/usr/share/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$sysroot
export PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
pkg_config=$(command -v pkg-config || true)
if [ -z "$pkg_config" ] || [ "${TTSD_PKG_CONFIG:-}" = sysroot ]; then
  pkg_config=$sysroot/pkg-config
  printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s "$@"\n' "$lib" "$sysroot/usr/bin/pkgconf" > "$pkg_config"
  chmod +x "$pkg_config"
fi
echo "pkg-config: $pkg_config"

torch_prefix=${TTSD_TORCH_PREFIX:-$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')}
cuda_args=()
nvcc=$(command -v nvcc || true)
[ -z "$nvcc" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc=/usr/local/cuda/bin/nvcc
if [ -n "$nvcc" ]; then
  cuda_args=(-DCMAKE_CUDA_COMPILER="$nvcc" -DCUDAToolkit_ROOT="$(dirname "$(dirname "$(realpath "$nvcc")")")")
fi

echo "== configure (libtorch from $torch_prefix)"
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$sysroot/usr;$torch_prefix" \
  -DPKG_CONFIG_EXECUTABLE="$pkg_config" \
  -DTTSD_UNIHAN_READINGS="$sysroot/usr/share/unicode/Unihan_Readings.txt.bz2" \
  -DCMAKE_EXE_LINKER_FLAGS="-Wl,-rpath-link,$lib -Wl,--disable-new-dtags -Wl,-rpath,$lib" \
  "${cuda_args[@]}"
echo "configured in $((SECONDS - t0)) s"

echo "== build"
ninja -C "$build" -k 0 -j"$(nproc)" "$@"
echo "built in $((SECONDS - t0)) s"
if [ -x "$build/daemon/ttsd" ]; then
  echo "ttsd links: $(readelf -d "$build/daemon/ttsd" | grep -o 'Shared library: \[[^]]*\]' | cut -d'[' -f2 |
    tr -d ']' | tr '\n' ' ')"
fi
