// `flock /tmp/kubelab-vm.lock npx tsx test/vm/image/boot-check.ts`: boots the test image under
// TCG with the user-data KubeLab's VM providers use, waits for SSH as root with a fresh cluster
// key and for cloud-init, and prints the timings and guest facts. Kills its QEMU on every path.
import { copyFileSync } from 'node:fs'
import { renderUserData } from '../../../src-main/providers/cloud-init/user-data'
import { generateParseableKey } from '../../../src-main/ssh-provisioning/keys'
import { SshSession } from '../../../src-main/ssh-provisioning/ssh'
import { bootTestVm } from './boot'
import { ensureVmTestImage } from './index'

const t0 = Date.now()
const s = () => ((Date.now() - t0) / 1000).toFixed(1)
const img = await ensureVmTestImage((l) => console.error(l))
const key = generateParseableKey('kubelab-imgcheck')
const vm = await bootTestVm({
  image: img.path,
  hostname: 'imgcheck',
  userData: renderUserData({ clusterName: 'imgcheck', hostname: 'imgcheck', authorizedKeys: [key.public] }),
})
const onSignal = () => void vm.stop().then(() => process.exit(130))
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)
const tBoot = Date.now()
try {
  const ssh = await SshSession.connect(
    { host: '127.0.0.1', port: vm.sshPort, user: 'root', privateKey: key.private },
    { deadline: Date.now() + 900_000, attemptTimeoutMs: 10_000, retryDelayMs: 1000, node: 'imgcheck' },
  )
  const tSsh = (Date.now() - tBoot) / 1000
  console.log(`SSH as root after ${tSsh.toFixed(1)} s (boot → SSH)`)
  const r = await ssh.exec(
    'cloud-init status --wait --long; echo "---"; uname -r; . /etc/os-release; echo "$PRETTY_NAME"; systemctl is-active containerd ssh; id kubelab; df -h / | tail -1; systemd-analyze || true; systemd-analyze blame | head -25; systemd-analyze critical-chain | head -30; lsmod | wc -l; cat /etc/hostname',
    { timeoutMs: 300_000 },
  )
  console.log(`cloud-init done after ${((Date.now() - tBoot) / 1000).toFixed(1)} s (exit ${r.code})`)
  console.log(r.stdout + r.stderr)
  ssh.close()
} catch (e) {
  console.error(`FAILED at ${s()} s: ${(e as Error).message}\n--- console tail ---\n${vm.consoleTail(40)}`)
  process.exitCode = 1
} finally {
  if (process.env.KEEP_CONSOLE) copyFileSync(vm.consoleLog, process.env.KEEP_CONSOLE)
  await vm.stop()
}
