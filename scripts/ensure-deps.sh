#!/usr/bin/env bash
# Installs the Debian packages Cohortex builds and tests with, when missing (run as root,
# or with sudo available). Idempotent: does nothing when everything is present.
set -euo pipefail

packages=(libnifti-dev libnifti2-dev libisal-dev isal zlib1g-dev libopenblas-dev pkg-config gzip time slurm-wlm munge)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${1:-}" = "--python" ] && ! python3 -m venv --help >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "ensure-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  echo "ensure-deps: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "ensure-deps: the Swift toolchain (swift) is not on PATH" >&2; exit 1; }
