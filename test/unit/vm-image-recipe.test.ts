// The VM test image's recipe without building it (that needs root and minutes; the vm layer
// does it): which Debian mirror the chroot uses, the boot loader's config, and the cache key.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { debianSources } from '../vm/image/build'
import { CUSTOMIZE_SCRIPT, PACKAGES, ROOT_LABEL, recipeHash, syslinuxConfig } from '../vm/image/recipe'

const dir = mkdtempSync(join(tmpdir(), 'kl-apt-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('VM test image recipe', () => {
  it("takes the host's own bookworm mirrors (deb822 and one-line), skipping other suites, disabled stanzas and third-party repos", () => {
    mkdirSync(join(dir, 'sources.list.d'), { recursive: true })
    writeFileSync(
      join(dir, 'sources.list'),
      '# comment\ndeb [arch=amd64] http://mirror.example/debian bookworm main contrib\ndeb http://mirror.example/debian trixie main\n',
    )
    writeFileSync(
      join(dir, 'sources.list.d', 'debian.sources'),
      'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\n\nEnabled: no\nTypes: deb\nURIs: http://disabled.example/debian\nSuites: bookworm\n',
    )
    writeFileSync(
      join(dir, 'sources.list.d', 'nodesource.sources'),
      'Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\n',
    )
    expect(debianSources({}, dir)).toEqual([
      'deb http://mirror.example/debian bookworm main',
      'deb http://deb.debian.org/debian bookworm main',
      'deb http://deb.debian.org/debian bookworm-updates main',
      'deb http://deb.debian.org/debian-security bookworm-security main',
    ])
    expect(debianSources({ KUBELAB_VM_IMAGE_MIRROR: 'http://local/debian' }, dir)).toEqual([
      'deb http://local/debian bookworm main',
      'deb http://local/debian bookworm-updates main',
    ])
    expect(debianSources({}, join(dir, 'nothing-here'))).toEqual(['deb http://deb.debian.org/debian bookworm main'])
  })

  it('boots the kernel from the FAT partition with the root found by label and the console on ttyS0', () => {
    const cfg = syslinuxConfig('vmlinuz', 'initrd.img')
    expect(cfg).toMatch(/^DEFAULT linux$/m)
    expect(cfg).toMatch(/^TIMEOUT 0$/m)
    expect(cfg).toMatch(new RegExp(`APPEND root=LABEL=${ROOT_LABEL} rw .*console=ttyS0,115200n8`))
  })

  it('has what KubeLab nodes need, NoCloud only, and fresh identities per VM', () => {
    for (const p of [
      'linux-image-amd64',
      'cloud-init',
      'openssh-server',
      'containerd',
      'runc',
      'containernetworking-plugins',
      'iptables',
      'conntrack',
      'socat',
      'xz-utils',
    ])
      expect(PACKAGES).toContain(p)
    expect(CUSTOMIZE_SCRIPT).toContain('datasource_list: [ NoCloud, None ]')
    expect(CUSTOMIZE_SCRIPT).toContain('rm -f "$R"/etc/ssh/ssh_host_*')
    expect(CUSTOMIZE_SCRIPT).toContain(': > "$R/etc/machine-id"')
    expect(recipeHash()).toMatch(/^[0-9a-f]{16}$/)
  })
})
