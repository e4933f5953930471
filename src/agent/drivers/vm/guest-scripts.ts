// The test guest's two scripts, kept as text so the build carries them (test-guest.ts writes them
// into the initramfs).

/** /init: see its own header. */
export const GUEST_INIT = `#!/bin/busybox sh
# The test guest's init (built by test-guest.ts from Debian packages; never used by the agent).
# It does what a cloud image does, in a few lines: reads the NoCloud seed (second disk, label
# cidata), and either runs user data that is a script (stdout on ttyS0, stderr on ttyS1, its
# exit status on ttyS2, then powers off) or, for #cloud-config, brings the NIC up with DHCP,
# prints cloud-init's marker on the serial console and gives that console a shell. The ACPI
# power button (QMP system_powerdown) ends the script with SIGTERM, or powers off at once.
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /seed /tmp /run /etc/acpi/PWRF
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules.order); do insmod "/modules/$m.ko" 2>/dev/null; done
cat > /etc/acpi/PWRF/00000080 <<'EOS'
#!/bin/sh
if [ -s /run/workload.pid ]; then kill -TERM "$(cat /run/workload.pid)"; else sync; poweroff -f; fi
EOS
chmod +x /etc/acpi/PWRF/00000080
acpid -d -c /etc/acpi >/dev/ttyS2 2>&1 &
echo weft-ready > /dev/ttyS2
for i in $(seq 1 50); do [ -b /dev/vdb ] && break; sleep 0.1; done
mount -t iso9660 -o ro /dev/vdb /seed || echo "weft-exit: 120 (no NoCloud seed)" > /dev/ttyS2
hostname "$(sed -n 's/^local-hostname: *//p' /seed/meta-data)"
if head -c 2 /seed/user-data 2>/dev/null | grep -q '#!'; then
  set -a
  [ -f /seed/weft-env ] && . /seed/weft-env
  set +a
  # Bytes as the script writes them: no CR added before each LF.
  stty -F /dev/ttyS0 raw -echo
  stty -F /dev/ttyS1 raw -echo
  sh /seed/user-data >/dev/ttyS0 2>/dev/ttyS1 </dev/null &
  echo $! > /run/workload.pid
  wait $!
  rc=$?
  echo "weft-exit: $rc" > /dev/ttyS2
  sync
  poweroff -f
fi
echo "weft-test-guest: init up, NoCloud seed read" > /dev/ttyS0
ip link set lo up
for nic in /sys/class/net/e*; do
  n=\${nic##*/}
  ip link set "$n" up
  udhcpc -i "$n" -q -n -t 10 -s /udhcpc.script >/dev/null 2>&1
done
echo "Cloud-init finished: instance $(sed -n 's/^instance-id: *//p' /seed/meta-data) up, addresses: $(ip -4 -o addr show scope global | awk '{print $4}' | tr '\\n' ' ')" > /dev/ttyS0
# A login shell on the console, again whenever it exits. In a subshell, which is not a process
# group leader, so setsid makes the new session without forking and the loop waits for the shell.
( while :; do setsid -c sh -l </dev/ttyS0 >/dev/ttyS0 2>&1; done ) &
while :; do sleep 3600; done
`;

/** udhcpc's hook. */
export const UDHCPC_SCRIPT = `#!/bin/sh
# udhcpc's hook in the test guest: set the leased address and route.
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route add default via "\${router%% *}" dev "$interface"
    ;;
esac
exit 0
`;
