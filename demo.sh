#!/usr/bin/env bash
# The main job: a live update in a VM. Boots Linux 7.2 with KHO/LUO under QEMU, preserves
# 320 MiB of memfds in two LUO sessions, kexecs into Linux 7.3 and checks every byte
# (SHA-256), size, file position and seal on the other side, then prints a summary.
# Installs what it needs (root for apt); the first run builds both kernels (≈ 7 min each).
set -euo pipefail
cd "$(dirname "$0")"
bash vm/install-deps.sh
dotnet build src/LiveUpdate.VmHarness -c Release -nologo -v quiet
exec dotnet run -c Release --no-build --project src/LiveUpdate.VmHarness -- demo "$@"
