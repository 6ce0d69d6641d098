#!/usr/bin/env bash
# Installs the Debian packages needed to build and test crmflow. Silent when nothing is missing.
set -euo pipefail

packages=(g++ cmake make libyaml-cpp-dev libyaml-dev libboost-dev libboost-test-dev libspdlog-dev
          libfmt-dev nlohmann-json3-dev libsqlite3-dev libdeflate-dev libssl-dev valgrind pkg-config)

if ! command -v dpkg >/dev/null 2>&1; then
  echo "setup-deps: not a Debian system; make sure these are installed: ${packages[*]}" >&2
  exit 0
fi

missing=()
for pkg in "${packages[@]}"; do
  # `dpkg -s` also succeeds for removed packages that left config files behind.
  if ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$pkg")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "setup-deps: installing ${missing[*]}"
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "setup-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  "${missing[@]}"
