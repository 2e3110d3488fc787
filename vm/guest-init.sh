#!/bin/busybox sh
# /init of the LiveUpdate test initramfs (busybox sh). Sets up a minimal userspace, runs
# /opt/liveupdate/lu-guest for this hop of the scenario, reports a failure line on ttyS1 if
# lu-guest is missing or fails, then reboots; QEMU runs with -no-reboot, so that ends the run.
# Contract: docs/vm-harness.md.

/bin/busybox --install -s /bin
/bin/busybox --install -s /sbin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
# The previous kernel's log that ramoops kept across the kexec (ScenarioCommandLine.KernelLogInRamOptions).
mount -t pstore pstore /sys/fs/pstore 2>/dev/null || true
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
if (: </dev/console) 2>/dev/null; then
    exec </dev/console >/dev/console 2>&1
else
    # No kernel console (booted without console=: the no-serial-console blackout lever): the
    # kernel's lines stay in its buffer, ours still go to the first serial port.
    exec </dev/null >/dev/ttyS0 2>&1
fi

hop=0
root=""
root_init=systemd
for word in $(cat /proc/cmdline); do
    case "$word" in
        lu.hop=*) hop="${word#lu.hop=}" ;;
        lu.root=*) root="${word#lu.root=}" ;;
        lu.root-init=*) root_init="${word#lu.root-init=}" ;;
    esac
done
case "$hop" in
    '' | *[!0-9]*) hop=0 ;;
esac

# ttyS1 carries the JSON result lines: no echo, no \n -> \r\n translation.
stty -F /dev/ttyS1 raw -echo 2>/dev/null
# A timing mark: the host stamps it as it arrives (reboot call -> this line is a bare kexec).
printf '{"type":"mark","name":"init","hop":%s}\n' "$hop" > /dev/ttyS1

# Loopback for local TCP; eth0 when the harness gave the guest a NIC (QEMU user-mode
# network: the guest is 10.0.2.15, the host's forwarded ports reach it there).
ip link set lo up 2>/dev/null
if [ -e /sys/class/net/eth0 ]; then
    ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2
fi

report_failure() {
    printf '{"type":"end","ok":false,"hop":%s,"detail":"%s"}\n' "$hop" "$1" > /dev/ttyS1
    echo "lu-init: FAILED: $1"
}

# The Debian root scenarios (lu.root=): the root file system on that disk becomes /. With
# lu.root-init=systemd (the default, the systemd scenarios) real systemd is PID 1 there and
# lu-guest.service runs this hop; with lu.root-init=lu-guest (the CRIU scenario: Debian's criu
# and memcached need the newer libc of that root and a root that is really /) a busybox shell is
# PID 1 and runs lu-guest directly, as below for the initramfs. The native binaries and the
# chain's kernels come from this initramfs (the next kernel gets the same one: retain_initrd).
# switch_root empties the initramfs and execs PID 1 in the new root.
if [ -n "$root" ]; then
    mkdir -p /newroot
    if [ "$root_init" = systemd ]; then root_program=/lib/systemd/systemd; else root_program=/bin/sh; fi
    if mount -t ext4 -o rw "$root" /newroot && [ -x "/newroot$root_program" ]; then
        # Into tmpfs, not onto the disk: writing 40 MB through ext4 and virtio took 17 s of the
        # next kernel's boot under TCG (the first run); tmpfs is fresh on every boot and moves
        # along with /newroot.
        mkdir -p /newroot/opt/liveupdate /newroot/boot
        mount -t tmpfs -o mode=0755 lu-binaries /newroot/opt/liveupdate
        mount -t tmpfs -o mode=0755 lu-kernels /newroot/boot
        cp -a /opt/liveupdate/. /newroot/opt/liveupdate/
        cp -a /boot/. /newroot/boot/
        printf '{"type":"mark","name":"switch-root","hop":%s}\n' "$hop" > /dev/ttyS1
        echo "lu-init: $(uname -r) hop $hop, uptime $(cut -d' ' -f1 /proc/uptime) s, switching to $root_init on $root"
        umount /sys/kernel/debug /sys/fs/pstore /tmp 2>/dev/null
        for fs in /dev /proc /sys /run; do mount --move "$fs" "/newroot$fs"; done
        if [ "$root_init" = systemd ]; then
            exec switch_root /newroot /lib/systemd/systemd
        fi
        cp /bin/busybox /newroot/opt/liveupdate/busybox
        exec switch_root /newroot /opt/liveupdate/busybox sh -c '
            b=/opt/liveupdate/busybox
            $b mount -t tmpfs -o mode=1777 tmpfs /tmp
            $b mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
            export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TMPDIR=/tmp
            export DOTNET_gcServer=0 DOTNET_gcConcurrent=0 DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
            /opt/liveupdate/lu-guest || printf "{\"type\":\"end\",\"ok\":false,\"hop\":%s,\"detail\":\"lu-guest exited with code %s\"}\n" "'"$hop"'" "$?" > /dev/ttyS1
            $b sync
            $b reboot -f
            $b poweroff -f'
    fi
    report_failure "lu.root=$root: cannot mount it as ext4 with $root_program in it"
    reboot -f
fi

# Our programs are NativeAOT binaries (no JIT, no runtime files); in a 2-CPU TCG guest their GC
# runs as workstation and non-concurrent (no background GC thread), with no ICU.
export HOME=/root TMPDIR=/tmp
export DOTNET_gcServer=0
export DOTNET_gcConcurrent=0
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1

echo "lu-init: $(uname -r) hop $hop, uptime $(cut -d' ' -f1 /proc/uptime) s, starting lu-guest"
if [ -x /opt/liveupdate/lu-guest ]; then
    /opt/liveupdate/lu-guest
    rc=$?
    if [ "$rc" -ne 0 ]; then
        report_failure "lu-guest exited with code $rc"
    fi
else
    report_failure "lu-guest is missing from the initramfs (/opt/liveupdate/lu-guest)"
fi

sync
echo "lu-init: rebooting (QEMU exits because of -no-reboot)"
reboot -f
# reboot -f should not return; if it does, make sure the VM still ends.
poweroff -f
