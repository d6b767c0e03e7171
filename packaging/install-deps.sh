#!/usr/bin/env bash
# Installs the Debian 12 packages that MTL Workbench needs to build, run and test.
# Runs as root without a terminal; skips packages that are already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  qt6-base-dev qt6-base-dev-tools qt6-svg-dev libqcustomplot-dev
  libtorch-dev libopenblas0-pthread
  # Gloo, the CPU backend of c10d for multi-process training.
  libgloo-dev
  libsqlite3-dev zlib1g-dev libspdlog-dev nlohmann-json3-dev libcli11-dev
  dataset-fashion-mnist
  xvfb xauth
  python3-torch
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "Installing missing Debian packages: ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi
"${sudo_cmd[@]}" apt-get update
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
