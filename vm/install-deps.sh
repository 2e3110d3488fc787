#!/bin/sh
# Installs the host packages the VM harness (luvm, tests/LiveUpdate.VmTests) needs on Debian.
# The list is what a cold run on a fresh machine of this project's image really executes
# (strace -f -e trace=execve over `luvm kernels` with an empty cache, the demo and the tests,
# each program mapped to its package with dpkg -S; docs/vm-harness.md, "Host packages"):
# - QEMU and busybox-static for the guest, cpio for the initramfs tests;
# - the NativeAOT publish of the guest binaries links with gcc against libc6-dev and zlib1g-dev;
# - the kernel build: make, gcc, binutils, flex, bison, bc, openssl, pkgconf, diffutils, mawk,
#   libelf-dev, libssl-dev, libc6-dev (static selftests) and rsync (`make headers_install`,
#   absent from the fresh image);
# - fetching kernel sources through the private apt configuration: apt, dpkg, tar, xz-utils,
#   debian-archive-keyring;
# - every compressor the kernel builds bzImages with (the preflight tests): xz-utils, zstd,
#   lz4, bzip2; lz4 also writes the LZ4 initramfs of the levers' measurement;
# - e2fsprogs (mkfs.ext4 makes the benchmark's old-way disk image). Not criu: Debian 12's
#   3.17 cannot run on Linux ≥ 6.13; criu-memcached runs sid's inside the guest (docs/criu.md).
# - perl, with which ./test.sh names the failed tests at the end of its output.
# - mmdebstrap, which builds the Debian sid roots once: the systemd scenarios' (real systemd 262)
#   and criu-memcached's (criu 4.2, memcached);
#   dbus-daemon, which luod's D-Bus tests start privately (the fresh image has it).
# - afl++ (afl-fuzz), which the bounded fuzz run of tests/LiveUpdate.Fuzzing.Tests and fuzz/run.sh
#   drive (docs/fuzzing.md).
# - golang-github-varlink-go-dev: the certification interface's text (org.varlink.certification.varlink),
#   which our side of varlink-go's certification (tests/LiveUpdate.Varlink.Tests, CertificationService)
#   serves as Debian ships it; without it that test fails on a fresh machine (CI, 2026-12-02).
# - prometheus (2.42 in bookworm), which the metrics-prometheus scenario's host side runs to scrape
#   luod in the guest through the port forward and query it (PromQL over its HTTP API).
# Packages the fresh image already has are listed too: this script states everything the
# harness runs (HostPrerequisitesTests checks that each program luvm looks for is here).
# Idempotent: installs only what is missing, runs apt-get update only when it must.
set -eu

PACKAGES="perl qemu-system-x86 busybox-static cpio make gcc binutils flex bison bc openssl pkgconf diffutils mawk libelf-dev libssl-dev libc6-dev libc-bin zlib1g-dev rsync apt dpkg tar xz-utils debian-archive-keyring zstd lz4 bzip2 e2fsprogs mmdebstrap dbus-daemon afl++ varlink-go golang-github-varlink-go-dev prometheus"

missing=""
for package in $PACKAGES; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then
        missing="$missing $package"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all VM harness packages are installed."
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages:$missing" >&2
    echo "install-deps: run this script as root (sudo $0) to install them." >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Update the package lists only if they were never fetched or the install cannot find a package.
if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$' -e '^partial$' -e '^auxfiles$')" ]; then
    echo "install-deps: apt-get update (no package lists yet)"
    apt-get update -qq
fi
echo "install-deps: installing$missing"
# shellcheck disable=SC2086 # word splitting of the package list is intended
if ! apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
    echo "install-deps: install failed with the current lists; running apt-get update and retrying"
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
echo "install-deps: done."
