// Parsing every Multipass output KubeLab reads (shared/reference/PROVIDERS.md §2.3).
import { describe, expect, it } from 'vitest'
import {
  compareVersions,
  isValidInstanceName,
  parseFind,
  parseInfo,
  parseLaunched,
  parseList,
  parseNetworks,
  parseSnapshots,
  parseVersion,
} from '../../src-main/providers/multipass/parse'

describe('parseVersion', () => {
  it('reads client and daemon versions and the platform suffix', () => {
    expect(parseVersion('{"multipass":"1.15.1+mac","multipassd":"1.15.1+mac"}')).toEqual({ client: '1.15.1', daemon: '1.15.1', platform: 'mac' })
  })
  it('has no daemon when multipassd is missing (daemon unreachable)', () => {
    const v = parseVersion('{"multipass":"1.16.3"}')
    expect(v.daemon).toBeUndefined()
    expect(v.platform).toBeUndefined()
  })
  it('reads an update notice', () => {
    const v = parseVersion(
      '{"multipass":"1.14.0+win","multipassd":"1.14.0+win","update":{"title":"1.16.3 available","description":"x","url":"https://multipass.run"}}',
    )
    expect(v.update).toEqual({ title: '1.16.3 available', url: 'https://multipass.run' })
  })
  it('rejects text output with a message naming the command', () => {
    expect(() => parseVersion('multipass   1.16.3\nmultipassd  1.16.3')).toThrow(/multipass version printed something that is not JSON/)
  })
})

describe('parseList', () => {
  it('reads running and stopped instances', () => {
    const l = parseList(
      '{"list":[{"name":"kl-demo-cp","state":"Running","ipv4":["192.168.64.5"],"release":"Ubuntu 24.04 LTS"},{"name":"kl-demo-w1","state":"Stopped","ipv4":[],"release":"Ubuntu 24.04 LTS"}]}',
    )
    expect(l).toEqual([
      { name: 'kl-demo-cp', state: 'Running', ipv4: ['192.168.64.5'], release: 'Ubuntu 24.04 LTS' },
      { name: 'kl-demo-w1', state: 'Stopped', ipv4: [], release: 'Ubuntu 24.04 LTS' },
    ])
  })
  it('accepts "Not Available" releases, [main] zones and every state; unknown states become Unknown', () => {
    const l = parseList(
      '{"list":[{"name":"a","state":"Delayed Shutdown","ipv4":[],"release":"Not Available","zone":{"name":"zone1","available":true}},{"name":"b","state":"Hibernating","ipv4":[],"release":""}]}',
    )
    expect(l.map((e) => [e.state, e.release])).toEqual([
      ['Delayed Shutdown', 'Not Available'],
      ['Unknown', ''],
    ])
  })
  it('drops "N/A" addresses printed by the VirtualBox driver', () => {
    expect(parseList('{"list":[{"name":"a","state":"Running","ipv4":["N/A"],"release":"Ubuntu 24.04 LTS"}]}')[0]!.ipv4).toEqual([])
  })
  it('rejects a payload without a list', () => {
    expect(() => parseList('{"errors":[]}')).toThrow(/no "list" array/)
  })
})

describe('parseInfo', () => {
  it('reads a running instance (numbers as strings and numbers)', () => {
    const { instances, errors } = parseInfo(
      '{"errors":[],"info":{"kl-demo-cp":{"cpu_count":"1","disks":{"sda1":{"total":"5116440064","used":"2287162880"}},"image_hash":"182dc7","image_release":"24.04 LTS","ipv4":["10.160.166.174","10.244.0.1"],"load":[0,0.03,0],"memory":{"total":1002500096,"used":432058368},"mounts":{},"release":"Ubuntu 24.04 LTS","snapshot_count":"0","state":"Running"}}}',
    )
    expect(errors).toEqual([])
    expect(instances).toEqual([
      {
        name: 'kl-demo-cp',
        state: 'Running',
        ipv4: ['10.160.166.174', '10.244.0.1'],
        cpuCount: 1,
        memory: { total: 1002500096, used: 432058368 },
        disks: { sda1: { total: 5116440064, used: 2287162880 } },
        release: 'Ubuntu 24.04 LTS',
        imageRelease: '24.04 LTS',
        snapshotCount: 0,
      },
    ])
  })
  it('reads a stopped instance: empty cpu_count, memory {} and disks {"sda1":{}}', () => {
    const i = parseInfo(
      '{"errors":[],"info":{"w1":{"cpu_count":"","disks":{"sda1":{}},"image_hash":"x","image_release":"24.04 LTS","ipv4":[],"load":[],"memory":{},"mounts":{},"release":"Ubuntu 24.04 LTS","state":"Stopped"}}}',
    ).instances[0]!
    expect(i.cpuCount).toBeUndefined()
    expect(i.memory).toEqual({})
    expect(i.disks).toEqual({ sda1: {} })
    expect(i.snapshotCount).toBeUndefined()
    expect(i.state).toBe('Stopped')
  })
})

describe('other outputs', () => {
  it('networks', () => {
    expect(parseNetworks('{"list":[{"name":"en0","type":"wifi","description":"Wi-Fi"}]}')).toEqual([{ name: 'en0', type: 'wifi', description: 'Wi-Fi' }])
  })
  it('find', () => {
    expect(
      parseFind(
        '{"errors":[],"blueprints":{},"images":{"24.04":{"aliases":["noble","lts"],"os":"Ubuntu","release":"24.04 LTS","remote":"","version":"20250115"}}}',
      ),
    ).toEqual([{ name: '24.04', aliases: ['noble', 'lts'], release: '24.04 LTS', remote: '' }])
  })
  it('list --snapshots', () => {
    expect(parseSnapshots('{"errors":[],"info":{"kl-demo-cp":{"ready":{"parent":"","comment":"after install"}}}}')).toEqual({
      'kl-demo-cp': { ready: { parent: '', comment: 'after install' } },
    })
  })
  it('launch: "Launched: NAME" on 1.16 and "… in zone1" on main, behind spinner control characters', () => {
    expect(parseLaunched('\rRetrieving image: 42%\x1b[K\r\x1b[2KStarting kl-a /\b-\b\r\x1b[2KLaunched: kl-a\n')).toBe('kl-a')
    expect(parseLaunched('Launched: kl-demo-cp in zone1\n')).toBe('kl-demo-cp')
    expect(parseLaunched('Retrieving image: 42%')).toBeUndefined()
  })
  it('compareVersions and instance names', () => {
    expect(compareVersions('1.14.1', '1.14.0')).toBeGreaterThan(0)
    expect(compareVersions('1.9.0', '1.13.0')).toBeLessThan(0)
    expect(compareVersions('1.16', '1.16.0')).toBe(0)
    expect(isValidInstanceName('kl-demo-w1')).toBe(true)
    expect(isValidInstanceName('1abc')).toBe(false)
    expect(isValidInstanceName('abc-')).toBe(false)
    expect(isValidInstanceName('a_b')).toBe(false)
  })
})
