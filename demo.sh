#!/usr/bin/env bash
# The main job: a virtual machine survives a kernel live update of its host. Boots Linux 7.2 with
# KHO/LUO under QEMU as the host; in it luod and luqemu, which runs Debian's QEMU with a small VM
# whose 64 MiB of RAM (--mib N) is a memfd luod preserves. `luoctl update` moves the host to
# Linux 7.3: the VM's vCPUs pause at freeze, its device state goes into a second preserved memfd,
# and in 7.3 a new QEMU resumes the same VM on the same RAM. Prints whether the same boot of the VM
# went on (boot id, ticks, uptime, seeded RAM), its blackout (vCPU pause → resume) as luod, the
# host and luqemu saw it, luod's phase table and the SVG timeline's path.
# `--workload cache`: lucache keeps 32 MiB of items instead while a client on the host reads.
# Installs what it needs (root for apt); the first run builds both kernels (≈ 7 min each).
set -euo pipefail
cd "$(dirname "$0")"
bash vm/install-deps.sh
dotnet build src/LiveUpdate.VmHarness -c Release -nologo -v quiet
exec dotnet run -c Release --no-build --project src/LiveUpdate.VmHarness -- demo "$@"
