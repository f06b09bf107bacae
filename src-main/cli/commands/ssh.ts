import { spawn } from 'node:child_process'
import { loginFor, SshSession } from '../../ssh-provisioning/ssh'
import { shQuote } from '../../ssh-provisioning/node-plan'
import { isPinned } from '../../ssh-provisioning/host-keys'
import type { Command } from '../command'
import { clusterCommand } from './cluster-util'

const usage = [
  'kubelab ssh CLUSTER NODE [-- COMMAND...]',
  '  no command: an interactive shell on the node (uses the system ssh client)',
  '  with a command: runs it on the node, prints its output and exits with its exit code',
].join('\n')

/** `kubelab ssh NAME NODE [-- CMD]`: the node's shell with the cluster key, as a VM's would be. */
export const sshCommand: Command = {
  name: 'ssh',
  summary: 'Open a shell on a node, or run one command there',
  usage,
  run(args, io) {
    // Everything after `--` is the remote command, never flags of ours.
    const dash = args.indexOf('--')
    const words = dash === -1 ? [] : args.slice(dash + 1)
    return sshFor(words.length === 1 ? words[0]! : words.map(shQuote).join(' ')).run(dash === -1 ? args : args.slice(0, dash), io)
  },
}

const sshFor = (cmd: string): Command =>
  clusterCommand({
    name: 'ssh',
    summary: 'Open a shell on a node, or run one command there',
    usage,
    flags: {},
    positional: 2,
    async run(manager, { positional }, io) {
      const [cluster, node] = positional as [string, string]
      const t = await manager.sshTarget(cluster, node)
      if (!cmd) {
        // VM nodes: OpenSSH reads the cluster's pins under the node's name (and records a first key).
        const hostKeys = t.hostKey
          ? [
              '-o',
              `UserKnownHostsFile=${t.hostKey.file}`,
              '-o',
              `HostKeyAlias=${t.hostKey.alias}`,
              '-o',
              `StrictHostKeyChecking=${isPinned(t.hostKey) ? 'yes' : 'accept-new'}`,
            ]
          : ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null']
        const child = spawn('ssh', ['-i', t.privateKeyFile, '-p', String(t.port), ...hostKeys, '-o', 'LogLevel=ERROR', `${t.user}@${t.host}`], {
          stdio: 'inherit',
        })
        return new Promise<number>((resolve) => {
          child.on('error', (e) => {
            io.err(`kubelab ssh: cannot run ssh (${e.message}): install openssh-client, or give a command after --`)
            resolve(1)
          })
          child.on('exit', (code) => resolve(code ?? 1))
        })
      }
      const s = await SshSession.connect(loginFor(t), { deadline: Date.now() + 60_000, node })
      try {
        const r = await s.exec(cmd, { onLine: (l, w) => (w === 'stdout' ? io.out(l) : io.err(l)) })
        return r.code ?? 1
      } finally {
        s.close()
      }
    },
  })
