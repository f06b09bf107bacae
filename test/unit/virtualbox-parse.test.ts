// Parsing VBoxManage output and mapping its errors (shared/reference/PROVIDERS.md §3).
import { describe, expect, it } from 'vitest'
import { VBoxError, classifyVBox, isVBoxFailure, vboxReason, type VBoxErrorKind } from '../../src-main/providers/virtualbox/errors'
import {
  forwards,
  parseCreatedUuid,
  parseGuestProperty,
  parseHostOnlyIfs,
  parseHostOnlyNets,
  parseMachineReadable,
  parseVBoxVersion,
  parseVmList,
  startedSuccessfully,
  vmStateOf,
} from '../../src-main/providers/virtualbox/parse'
import { inHostOnlyRange, planNode } from '../../src-main/providers/virtualbox/plan'

describe('VBoxManage output', () => {
  it('--version, also after the vboxdrv warning', () => {
    expect(parseVBoxVersion('7.0.14r161095\n')).toEqual({ version: '7.0.14', revision: 161095 })
    expect(parseVBoxVersion('WARNING: The vboxdrv kernel module is not loaded.\n\n7.1.6_Ubuntur167084\n')).toEqual({ version: '7.1.6', revision: 167084 })
    expect(() => parseVBoxVersion('')).toThrow(/printed no version/)
  })
  it('showvminfo --machinereadable: quoted keys and values, bare numbers, the 7.0 "Encryption:" line', () => {
    const info = parseMachineReadable(
      'name="kl-demo-w1"\nEncryption:     disabled\nmemory=2048\nVMState="poweroff"\n"SATA-0-0"="/home/u/.kubelab/clusters/demo/nodes/w1/disk.vdi"\nForwarding(0)="ssh,tcp,127.0.0.1,22012,,22"\nuartmode1="file,/tmp/console.log"\n',
    )
    expect(info.name).toBe('kl-demo-w1')
    expect(info.memory).toBe('2048')
    expect(info['SATA-0-0']).toMatch(/disk\.vdi$/)
    expect(info.Encryption).toBeUndefined()
    expect(vmStateOf(info)).toBe('poweroff')
    expect(forwards(info)).toEqual([{ name: 'ssh', proto: 'tcp', hostIp: '127.0.0.1', hostPort: 22012, guestIp: '', guestPort: 22 }])
    for (const s of ['running', 'saved', 'aborted', 'paused']) expect(vmStateOf({ VMState: s })).toBe(s)
    expect(vmStateOf({})).toBe('unknown')
  })
  it('list vms / runningvms', () => {
    expect(parseVmList('"kl-demo-cp" {5e4c1c3a-0000-4000-8000-000000000001}\n"with space" {5e4c1c3a-0000-4000-8000-000000000002}\n')).toEqual([
      { name: 'kl-demo-cp', uuid: '5e4c1c3a-0000-4000-8000-000000000001' },
      { name: 'with space', uuid: '5e4c1c3a-0000-4000-8000-000000000002' },
    ])
  })
  it('list hostonlyifs and hostonlynets', () => {
    const ifs = parseHostOnlyIfs(
      'Name:            vboxnet0\nGUID:            786f6276-656e-4074-8000-0a0027000000\nDHCP:            Disabled\nIPAddress:       192.168.56.1\nNetworkMask:     255.255.255.0\nIPV6Address:     \nStatus:          Up\nVBoxNetworkName: HostInterfaceNetworking-vboxnet0\n\nName:            vboxnet1\nGUID:            x\nDHCP:            Enabled\nIPAddress:       192.168.57.1\nNetworkMask:     255.255.255.0\nStatus:          Down\n\n',
    )
    expect(ifs).toEqual([
      { name: 'vboxnet0', ip: '192.168.56.1', netmask: '255.255.255.0', dhcp: false, up: true },
      { name: 'vboxnet1', ip: '192.168.57.1', netmask: '255.255.255.0', dhcp: true, up: false },
    ])
    expect(
      parseHostOnlyNets(
        'Name:            kubelab\nGUID:            g\n\nState:           Enabled\nNetworkMask:     255.255.255.0\nLowerIP:         192.168.56.100\nUpperIP:         192.168.56.199\nVBoxNetworkName: hostonly-kubelab\n\n',
      ),
    ).toEqual([{ name: 'kubelab', netmask: '255.255.255.0', lowerIp: '192.168.56.100', upperIp: '192.168.56.199', enabled: true }])
  })
  it('guestproperty, createvm, startvm', () => {
    expect(parseGuestProperty('No value set!\n')).toBeUndefined()
    expect(parseGuestProperty('Value: 192.168.56.11\n')).toBe('192.168.56.11')
    expect(parseCreatedUuid("Virtual machine 'x' is created and registered.\nUUID: 0b5e-11\nSettings file: '/x/x.vbox'\n")).toBe('0b5e-11')
    expect(startedSuccessfully('Waiting for VM "x" to power on...\nVM "x" has been successfully started.\n', 'x')).toBe(true)
    expect(startedSuccessfully('Waiting for VM "x" to power on...\n', 'x')).toBe(false)
  })
})

const E = (...lines: string[]) => lines.map((l) => `VBoxManage: error: ${l}`).join('\n')
const cases: [string, number, string, VBoxErrorKind, RegExp][] = [
  ['missing program', 127, 'VBoxManage: command not found', 'not-installed', /install VirtualBox/],
  ['broken install', 126, '', 'broken-install', /reinstall/],
  [
    'no vboxnetctl',
    1,
    E('Failed to create the host-only adapter', 'VBoxNetAdpCtl: Error while adding new interface: failed to open /dev/vboxnetctl: No such file or directory'),
    'kernel-driver',
    /vboxconfig/,
  ],
  ['host-only range', 1, E('Code E_ACCESSDENIED (0x80070005) - Access denied (extended info not available)'), 'hostonly-range', /networks\.conf/],
  [
    'macOS host-only',
    1,
    E('Failed to open a session for the virtual machine x.', 'Host-only adapters are no longer supported!'),
    'hostonly-unsupported',
    /hostonlynet add/,
  ],
  [
    'Hyper-V',
    1,
    E('Call to NEMR0InitVMPart2 failed: VERR_NEM_INIT_FAILED (VERR_NEM_VM_CREATE_FAILED)'),
    'hypervisor-conflict',
    /hypervisorlaunchtype|Memory Integrity/,
  ],
  ['unknown VM', 1, E("Could not find a registered machine named 'kl-x'", 'Details: code VBOX_E_OBJECT_NOT_FOUND (0x80bb0001)'), 'not-found', /recreate/],
  ['name taken', 1, E("Machine settings file '/x/kl-x.vbox' already exists"), 'already-exists', /unregistervm/],
  ['session lock', 1, E("The machine 'kl-x' is already locked by a session (or being locked or unlocked)"), 'locked', /retries/],
  ['not running', 1, E("Machine 'kl-x' is not currently running"), 'not-running', /already off/],
]

describe('VBoxManage errors', () => {
  for (const [what, exit, stderr, kind, next] of cases) {
    it(`${what} → ${kind}`, () => {
      const f = classifyVBox(exit, stderr)
      expect(f.kind).toBe(kind)
      expect(f.nextStep).toMatch(next)
      expect(f.transient).toBe(kind === 'locked')
    })
  }
  it('"VBoxManage: error:" on stderr is a failure even with exit 0; a warning alone is not', () => {
    expect(isVBoxFailure(0, E('Code E_ACCESSDENIED (0x80070005)'))).toBe(true)
    expect(isVBoxFailure(0, 'VBoxManage.exe: error: something')).toBe(true)
    expect(isVBoxFailure(0, 'WARNING: The vboxdrv kernel module is not loaded.')).toBe(false)
    expect(isVBoxFailure(1, '')).toBe(true)
  })
  it("unknown errors keep VirtualBox's first error line", () => {
    const f = classifyVBox(1, E('Medium is locked for writing', 'Details: code VBOX_E_INVALID_OBJECT_STATE'.replace('VBOX_E_INVALID_OBJECT_STATE', 'E_FAIL')))
    expect(f.kind).toBe('failed')
    expect(f.message).toBe('VBoxManage failed: Medium is locked for writing')
    expect(vboxReason('noise\nVBoxManage: error: first\nVBoxManage: error: second')).toBe('first')
    expect(new VBoxError('startvm', f).message).toMatch(/^VBoxManage startvm: VBoxManage failed: Medium is locked for writing\. Next:/)
  })
})

describe('address plan', () => {
  it('keeps host-only addresses inside 192.168.56.0/21 with distinct MACs per node and cluster', () => {
    expect(inHostOnlyRange('192.168.63.255')).toBe(true)
    expect(inHostOnlyRange('192.168.64.1')).toBe(false)
    const a = planNode('demo', '192.168.56', 0)
    const b = planNode('demo', '192.168.56', 1)
    expect(a.address).toBe('192.168.56.10')
    expect(b.address).toBe('192.168.56.11')
    expect(a.natMac).toMatch(/^080027[0-9A-F]{6}$/)
    expect(new Set([a.natMac, a.hostOnlyMac, b.natMac, b.hostOnlyMac]).size).toBe(4)
    expect(() => planNode('demo', '10.0.5', 0)).toThrow(/outside 192\.168\.56\.0\/21/)
  })
})
