// What a node builds for tenant Networks, without building it: device names within Linux's 15
// characters and distinct per network and NIC, dnsmasq's exact configuration, and QEMU's tap NIC.
import { describe, expect, it } from 'vitest';
import { qemuArgs, type QemuPlan } from '../drivers/vm/qemu-args.js';
import { dnsmasqConfig } from './dnsmasq-config.js';
import { bridgeName, dhcpPortName, OWN_DEVICE, OWN_TAP, tapName, vxlanName } from './names.js';

describe('tenant network devices on a node', () => {
  it('names devices within 15 characters, apart for every network and NIC, and recognisably ours', () => {
    const names = [4096, 16_777_215].flatMap((vni) => [bridgeName(vni), vxlanName(vni), dhcpPortName(vni)]);
    const taps = ['0f9a5f9e-1d2b-4c4e-9d7e-3b2f6f1a0c11', '7c1e2d3f-aaaa-4bbb-8ccc-0123456789ab'].flatMap((uid) => [0, 7].map((i) => tapName(uid, i)));
    for (const n of [...names, ...taps]) expect(n.length).toBeLessThanOrEqual(15);
    expect(new Set([...names, ...taps]).size).toBe(names.length + taps.length);
    for (const n of names) expect(n).toMatch(OWN_DEVICE);
    for (const t of taps) expect(t).toMatch(OWN_TAP);
  });

  it("writes dnsmasq's configuration: DHCP for this node's VMs only, every VM's DNS name, no router", () => {
    const conf = dnsmasqConfig({
      network: 'lan',
      vni: 4096,
      serverIp: '10.77.0.1',
      subnetBase: '10.77.0.0',
      netmask: '255.255.255.0',
      pidFile: '/var/lib/weft/networks/4096/dnsmasq.pid',
      local: [{ mac: '52:54:00:aa:bb:02', ip: '10.77.0.3', name: 'web' }],
      hosts: [{ name: 'web', ip: '10.77.0.3' }, { name: 'db', ip: '10.77.0.2' }],
    });
    expect(conf).toBe(`# tenant Network lan (VNI 4096); written by the weft agent, which restarts dnsmasq when this changes
interface=dhcp0
bind-interfaces
no-resolv
no-hosts
no-poll
leasefile-ro
dhcp-authoritative
pid-file=/var/lib/weft/networks/4096/dnsmasq.pid
dhcp-range=10.77.0.0,static,255.255.255.0,1h
dhcp-option=option:router
dhcp-option=option:dns-server,10.77.0.1
dhcp-option=option:domain-name,lan
dhcp-option=option:mtu,1450
domain=lan
local=/lan/
dhcp-host=52:54:00:aa:bb:02,10.77.0.3,web
host-record=db.lan,10.77.0.2
host-record=web.lan,10.77.0.3
`);
  });

  it('gives QEMU the tap with a virtio NIC and the assigned MAC', () => {
    const plan: QemuPlan = { name: 'web', accelerator: 'tcg', vcpus: 1, memoryMiB: 256, disks: [], nics: [{ tap: 'wtp0123abcd0', mac: '52:54:00:aa:bb:02' }], consoleSocket: 'c', consoleLog: 'l', errorLog: 'e', qmpSocket: 'q', statusFile: 's' };
    const args = qemuArgs(plan);
    const at = args.indexOf('-netdev');
    expect(args.slice(at, at + 4)).toEqual(['-netdev', 'tap,id=net0,ifname=wtp0123abcd0,script=no,downscript=no', '-device', 'virtio-net-pci,netdev=net0,mac=52:54:00:aa:bb:02,romfile=']);
  });
});
