#!/bin/busybox sh
# /init of the small VM that luqemu runs inside the test guest (vm-update, vm-oldway, the VM demo,
# luqemu's host tests): a busybox system whose whole state is its RAM. It proves continuity
# across the host's live update on its serial console, five lines a second:
#   vmguest: boot=<boot id> tick=<n> uptime=<s> [check=<sha256 of the seeded region>]
# The boot id (a new one on every boot) and the tick counter live only in RAM: after the host's
# update the same boot id with the next ticks means the VM was resumed, not rebooted. The seeded
# region (2 MiB from /dev/urandom in tmpfs, i.e. guest RAM) is hashed every 25 ticks and must keep
# the hash printed once at boot:  vmguest: boot=<id> seeded=<sha256>
# The loop uses shell builtins only — read, echo, arithmetic, and the pause is `read -t 0.2` on a
# FIFO nobody writes to: under nested emulation a fork+exec (`sleep`, `cut`) costs seconds, and the
# ticks would come every 5–10 s. The hash every 25 ticks forks; nothing else does.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /tmp && mount -t tmpfs tmpfs /tmp
exec </dev/ttyS0 >/dev/ttyS0 2>&1
read boot < /proc/sys/kernel/random/boot_id
mkfifo /tmp/beat && exec 3<> /tmp/beat
dd if=/dev/urandom of=/tmp/seed bs=1M count=2 2>/dev/null
echo "vmguest: boot=$boot seeded=$(sha256sum /tmp/seed | cut -d' ' -f1)"
n=0
while :; do
    n=$((n + 1))
    read up idle < /proc/uptime
    if [ $((n % 25)) -eq 0 ]; then
        echo "vmguest: boot=$boot tick=$n uptime=$up check=$(sha256sum /tmp/seed | cut -d' ' -f1)"
    else
        echo "vmguest: boot=$boot tick=$n uptime=$up"
    fi
    read -t 0.2 nothing <&3
done
