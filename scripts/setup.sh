#!/usr/bin/env bash
# Everything a fresh Debian 12 machine needs for fitcheck: a WebGPU-capable Vulkan driver (lavapipe,
# from mesa-vulkan-drivers), Debian's Chromium for the browser tests and examples, and the npm
# packages (Deno itself included, from the `deno` npm package).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
dpkg -s mesa-vulkan-drivers >/dev/null 2>&1 || need+=(mesa-vulkan-drivers)
dpkg -s chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  else
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  fi
fi

if [ ! -x node_modules/deno/deno ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
