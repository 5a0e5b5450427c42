#!/usr/bin/env bash
# The test command (npm test): installs what the tests need when missing, builds, lints, and
# runs every test with node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || missing+=(gcc-aarch64-linux-gnu)
command -v aarch64-linux-gnu-as >/dev/null 2>&1 || missing+=(binutils-aarch64-linux-gnu)
command -v qemu-aarch64 >/dev/null 2>&1 || missing+=(qemu-user)
command -v qemu-system-aarch64 >/dev/null 2>&1 || missing+=(qemu-system-arm)
command -v xz >/dev/null 2>&1 || missing+=(xz-utils)
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
exec npx tsx --test --test-concurrency=2 --test-timeout=600000 test/**/*.test.ts
