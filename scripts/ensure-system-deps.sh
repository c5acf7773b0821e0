#!/usr/bin/env bash
# Makes sure the Python worker's system dependencies are present. On Debian/Ubuntu as root it
# installs what is missing with apt; elsewhere it says what to install (gpu-worker/requirements.txt
# for pip, plus ffmpeg and espeak-ng from the system's package manager). `--test` adds what only the
# tests need: Chromium for the browser test, jsonschema for the contract checks. `--bench` adds what bench/engines uses beyond that:
# festival (another English voice with known word times) and pocketsphinx-testdata (human speech).
set -euo pipefail
FOR_TESTS=${1:-}
PY=${WORKER_PYTHON:-/usr/bin/python3}
APT_PACKAGES="python3-psycopg python3-numpy python3-scipy python3-soundfile python3-torch python3-pytest python3-yaml python3-boto3
  espeak-ng libespeak-ng1 pocketsphinx python3-pocketsphinx pocketsphinx-en-us libspeexdsp1 ffmpeg sox flite"
[ "$FOR_TESTS" = --test ] && APT_PACKAGES="$APT_PACKAGES chromium python3-jsonschema"
[ "$FOR_TESTS" = --bench ] && APT_PACKAGES="$APT_PACKAGES festival festvox-kallpc16k pocketsphinx-testdata"

have_all() {
  command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null && command -v espeak-ng >/dev/null &&
    command -v sox >/dev/null && command -v flite >/dev/null &&
    [ -x "$PY" ] && "$PY" -c 'import psycopg, numpy, scipy, soundfile, torch, pocketsphinx, pytest, yaml, boto3' 2>/dev/null &&
    ls /usr/lib/*/libspeexdsp.so.1 /usr/lib/*/libespeak-ng.so.1 >/dev/null 2>&1 &&
    { [ "$FOR_TESTS" != --test ] || { [ -x /usr/bin/chromium ] && "$PY" -c 'import jsonschema' 2>/dev/null; }; } &&
    { [ "$FOR_TESTS" != --bench ] || { command -v festival >/dev/null && dpkg -s pocketsphinx-testdata >/dev/null 2>&1; }; }
}

if have_all; then exit 0; fi
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "voxgraph: installing the worker's system packages with apt-get…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $APT_PACKAGES >/dev/null
  have_all && exit 0
fi
cat >&2 <<MSG
voxgraph: the Python worker's dependencies are missing.
  Debian/Ubuntu (as root):  apt-get install $APT_PACKAGES
  Elsewhere:                install ffmpeg, sox, espeak-ng and flite, then
                            pip install -r gpu-worker/requirements.txt  (and set WORKER_PYTHON)
MSG
exit 1
