#!/usr/bin/env bash
# The main job: a cache survives a kernel live update in a VM. Boots Linux 7.2 with KHO/LUO
# under QEMU, starts luod and lucache, loads 32 MiB of items (--mib N), keeps a client on the
# host reading while `luoctl update` moves to Linux 7.3, verifies every item there and prints
# the blackout the client saw, luod's phase table and the SVG timeline's path.
# Installs what it needs (root for apt); the first run builds both kernels (≈ 7 min each).
set -euo pipefail
cd "$(dirname "$0")"
bash vm/install-deps.sh
dotnet build src/LiveUpdate.VmHarness -c Release -nologo -v quiet
exec dotnet run -c Release --no-build --project src/LiveUpdate.VmHarness -- demo "$@"
