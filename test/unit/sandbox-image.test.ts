// containerd's CRI pulls its own sandbox image (registry.k8s.io/pause:3.x by default on a VM)
// whatever the kubelet wants; the command that tags our pause image with that name is run here
// against stand-ins for containerd (1.x and 2.x `config dump` output) and ctr that record calls.
import { execFileSync } from 'node:child_process'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tagSandboxImageCommand } from '../../src-main/ssh-provisioning/images'
import { tempDir } from '../helpers/temp-dir'

function run(dump: string): { out: string; calls: string } {
  const dir = tempDir('kl-sandbox-')
  writeFileSync(join(dir, 'dump.toml'), dump)
  writeFileSync(join(dir, 'containerd'), `#!/bin/sh\n[ "$1 $2" = "config dump" ] && cat '${join(dir, 'dump.toml')}'\n`)
  writeFileSync(join(dir, 'ctr'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${join(dir, 'calls')}'\n`)
  writeFileSync(join(dir, 'calls'), '')
  for (const f of ['containerd', 'ctr']) chmodSync(join(dir, f), 0o755)
  const out = execFileSync('sh', ['-c', tagSandboxImageCommand('kubelab.local/pause:1')], { encoding: 'utf8', env: { PATH: `${dir}:/usr/bin:/bin` } })
  return { out: out.trim(), calls: readFileSync(join(dir, 'calls'), 'utf8').trim() }
}

describe('sandbox image on VMs', () => {
  it('tags the pause image with containerd 1.x sandbox_image', () => {
    const r = run('[plugins]\n  [plugins."io.containerd.grpc.v1.cri"]\n    sandbox_image = "registry.k8s.io/pause:3.6"\n')
    expect(r.calls).toBe('-n k8s.io images tag --force kubelab.local/pause:1 registry.k8s.io/pause:3.6')
    expect(r.out).toBe('sandbox image registry.k8s.io/pause:3.6 is kubelab.local/pause:1')
  })

  it("tags it with containerd 2.x pinned 'sandbox' image", () => {
    const r = run("[plugins.'io.containerd.cri.v1.images'.pinned_images]\n  sandbox = 'registry.k8s.io/pause:3.10'\n")
    expect(r.calls).toBe('-n k8s.io images tag --force kubelab.local/pause:1 registry.k8s.io/pause:3.10')
  })

  it('does nothing when containerd already uses ours (local nodes) or says nothing', () => {
    expect(run('    sandbox_image = "kubelab.local/pause:1"\n').calls).toBe('')
    expect(run('').calls).toBe('')
  })
})
