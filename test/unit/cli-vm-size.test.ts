// `kubelab create` sizing flags: --cpus, --memory, --disk for the VM providers, parsed into the
// settings the providers read (cpu, memory, disk), with errors that name the flag and the fix.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createCommand } from '../../src-main/cli/commands/create'
import { parseCpus, parseSizeMiB, vmSizeSettings } from '../../src-main/cli/commands/vm-size'
import type { CliIo } from '../../src-main/cli/command'

describe('parseSizeMiB', () => {
  it('reads K/M/G/T (binary, as Multipass does), with optional i / iB', () => {
    expect(parseSizeMiB('memory', '2G')).toBe(2048)
    expect(parseSizeMiB('memory', '2048M')).toBe(2048)
    expect(parseSizeMiB('memory', '1.5G')).toBe(1536)
    expect(parseSizeMiB('memory', '2Gi')).toBe(2048)
    expect(parseSizeMiB('disk', '20GiB')).toBe(20480)
    expect(parseSizeMiB('disk', '1t')).toBe(1024 * 1024)
    expect(parseSizeMiB('memory', '1536K')).toBe(2) // rounded up to whole MiB
  })

  it('refuses bare numbers and junk, naming the flag', () => {
    expect(() => parseSizeMiB('memory', '2048')).toThrow(/--memory "2048" is not a size \(a unit is required\).*2G or 2048M/)
    expect(() => parseSizeMiB('disk', 'big')).toThrow(/--disk "big" is not a size:/)
    expect(() => parseSizeMiB('disk', '-2G')).toThrow(/--disk/)
    expect(() => parseSizeMiB('memory', '0G')).toThrow(/more than zero/)
  })
})

describe('parseCpus', () => {
  it('takes whole numbers from 1 to 64', () => {
    expect(parseCpus('1')).toBe(1)
    expect(parseCpus('64')).toBe(64)
    expect(() => parseCpus('0')).toThrow(/between 1 and 64/)
    expect(() => parseCpus('65')).toThrow(/between 1 and 64/)
    expect(() => parseCpus('1.5')).toThrow(/whole number/)
    expect(() => parseCpus('two')).toThrow(/whole number/)
  })
})

describe('vmSizeSettings', () => {
  it('gives multipass and virtualbox the settings their providers read', () => {
    expect(vmSizeSettings('virtualbox', { cpus: '3', memory: '1536M', disk: '12G' })).toEqual({ cpu: '3', memory: '1536Mi', disk: '12288Mi' })
    expect(vmSizeSettings('multipass', { memory: '2G' })).toEqual({ memory: '2048Mi' })
    expect(vmSizeSettings('multipass', {})).toEqual({})
  })

  it('refuses sizes too small for a node', () => {
    expect(() => vmSizeSettings('virtualbox', { memory: '256M' })).toThrow(/--memory 256M is too little.*at least 512M/)
    expect(() => vmSizeSettings('multipass', { disk: '4G' })).toThrow(/--disk 4G is smaller.*at least 5G/)
  })

  it('refuses --cpus and --disk for providers whose nodes are not VMs', () => {
    expect(() => vmSizeSettings('simulated', { cpus: '2', disk: '10G' })).toThrow(
      /--cpus and --disk only apply to VM providers \(--provider multipass\|virtualbox\|qemu\)/,
    )
    // --memory stays the simulated nodes' capacity: not this parser's business.
    expect(vmSizeSettings('simulated', { memory: '8Gi' })).toEqual({})
  })
})

describe('kubelab create flags', () => {
  function io(home: string): CliIo & { errors: string[] } {
    const errors: string[] = []
    return {
      errors,
      out: () => {},
      err: (l) => void errors.push(l),
      env: { ...process.env, KUBELAB_HOME: home },
      waitForStop: () => new Promise<string>(() => {}),
    }
  }

  it('fails before making anything when a size is wrong, and the help shows the flags', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kl-size-'))
    try {
      for (const [args, msg] of [
        [['--provider', 'virtualbox', '--memory', '2048'], /--memory "2048" is not a size/],
        [['--provider', 'multipass', '--cpus', 'lots'], /--cpus must be a whole number/],
        [['--provider', 'multipass', '--cpu', '2'], /for multipass VMs use --cpus N/],
        [['--provider', 'local', '--disk', '10G'], /--disk only apply to VM providers/],
        [['--provider', 'virtualbox', '--host-only-subnet', '10.0.0'], /inside 192\.168\.56\.0\/21/],
        [['--provider', 'multipass', '--host-only-subnet', '192.168.57'], /only applies to --provider virtualbox/],
        [['--provider', 'local', '--control-planes', '2'], /--control-planes must be 1, 3 or 5/],
        [['--provider', 'local', '--control-planes', '3', '--store', 'embedded'], /keeps objects in etcd/],
        [['--provider', 'simulated', '--control-planes', '3'], /use --provider local, not simulated/],
      ] as const) {
        const x = io(home)
        expect(await createCommand.run(['vb8x', ...args], x)).toBe(1)
        expect(x.errors.join('\n')).toMatch(msg)
      }
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
    expect(createCommand.usage).toMatch(/--cpus N .*--memory SIZE/)
    expect(createCommand.usage).toMatch(/--disk SIZE/)
    expect(createCommand.usage).toMatch(/--control-planes N/)
  })
})
