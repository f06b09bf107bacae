#!/usr/bin/env node
// Keeps KubeLab's block (`# BEGIN kubelab` … `# END kubelab`: every control-plane node's
// `IP NAME`, etcd peers by name on VM clusters with several control planes) in a hosts file.
// Plain Node, no packages. Run by install-node.sh at every provisioning and, on VMs, before
// etcd starts (the etcd unit's ExecStartPre), since cloud-init may rewrite /etc/hosts at boot.
//
//   etc-hosts.mjs BLOCK_FILE HOSTS_FILE     (an empty or missing BLOCK_FILE removes the block)
//
// Written in place, never renamed over: /etc/hosts may be a bind mount.
import { readFileSync, writeFileSync } from 'node:fs'

const [blockFile, hostsFile] = process.argv.slice(2)
if (!blockFile || !hostsFile) {
  console.error('usage: etc-hosts.mjs BLOCK_FILE HOSTS_FILE')
  process.exit(2)
}
const read = (f) => {
  try {
    return readFileSync(f, 'utf8')
  } catch {
    return ''
  }
}
const want = read(blockFile)
const cur = read(hostsFile)
const kept = cur.replace(/# BEGIN kubelab[^\n]*\n[\s\S]*?# END kubelab\n?/g, '')
const next = want ? `${kept}${kept === '' || kept.endsWith('\n') ? '' : '\n'}${want}` : kept
if (next !== cur) {
  writeFileSync(hostsFile, next)
  console.error(`kubelab: ${want ? 'wrote the control-plane names into' : 'removed the control-plane names from'} ${hostsFile}`)
}
