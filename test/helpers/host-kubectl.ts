// The Linux kubectl the test VMs get (KUBELAB_KUBECTL): CI cannot reach dl.k8s.io. The host's
// /usr/bin/kubectl may be a dispatcher that picks a bundled kubectl.MAJOR.MINOR by the server's
// version; a guest needs one real binary, so the one matching our API server's minor is taken.
import { spawnSync } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { KUBERNETES_VERSION } from '../../src-cluster/apiserver/server'
import { elfMachineOf } from '../../src-main/ssh-provisioning/node-kubectl'

export function hostLinuxKubectl(): string {
  const found = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim()
  if (!found) throw new Error('no kubectl on this host: the VM layer uploads the host kubectl into the VMs')
  const real = realpathSync(found)
  const bundled = join(dirname(real), `kubectl.${KUBERNETES_VERSION.major}.${KUBERNETES_VERSION.minor}`)
  const pick = existsSync(bundled) ? bundled : real
  if (elfMachineOf(pick) !== 0x3e) throw new Error(`${pick} is not an x86-64 Linux kubectl; set KUBELAB_KUBECTL to one`)
  return pick
}
