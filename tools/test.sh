#!/usr/bin/env bash
# The test command (npm test): installs what the tests need when missing, builds, lints, and
# runs every test with node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use, checked by package (dpkg), not by whether a command exists: a
# cross compiler installed without its recommendations has no C library, so the C library and
# headers are named on their own.
#   gcc-aarch64-linux-gnu, binutils-aarch64-linux-gnu, libc6-dev-arm64-cross: test guests, the
#     differential oracle (static Linux programs), the benchmark workload
#   qemu-user: the differential oracle (qemu-aarch64)
#   qemu-system-arm: bare-metal guests and the device tree under QEMU (started with -nic none,
#     so no option ROM package is needed)
#   xz-utils: the guest kit's kernel modules (.ko.xz), the UEFI Shell inside the firmware (LZMA)
#   dosfstools, mtools: the FAT EFI system partitions of the firmware test's disk and the Debian image
#   fakeroot, e2fsprogs: the Debian image's root file system without root (unpacked under fakeroot,
#     made with mke2fs -d in the same session; debugfs reads and writes it without mounting)
#   kmod: the Debian image's modules.dep (depmod -b over the image's kernel, on this machine)
need=(gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user qemu-system-arm xz-utils dosfstools mtools fakeroot e2fsprogs kmod)
missing=()
for p in "${need[@]}"; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages: (re)install when node_modules is missing or older than the lock file.
if [ ! -x node_modules/.bin/asc ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

npm run --silent build
npx prettier --check .
npx tsc --noEmit -p tsconfig.json
# Node 20's test runner does not expand globs itself.
shopt -s globstar nullglob
# Node 20's --test-timeout also bounds each test file as a whole, whatever a test's own timeout
# says: the Debian scenario (its image built on first use, about 7 minutes on 2 cores, then
# three boots, about 9) runs after the others, alone, under an hour's bound; every other file
# keeps 10 minutes.
long=(test/linux/debian-e2e.test.ts)
files=()
for f in test/**/*.test.ts; do
  [[ " ${long[*]} " == *" $f "* ]] || files+=("$f")
done
status=0
npx tsx --test --test-concurrency=2 --test-timeout=600000 "${files[@]}" || status=$?
for f in "${long[@]}"; do
  [ -e "$f" ] || { echo "test: $f is missing (tools/test.sh names it)"; status=1; continue; }
  npx tsx --test --test-timeout=3600000 "$f" || status=$?
done
exit $status
