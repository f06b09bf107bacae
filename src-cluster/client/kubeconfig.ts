// Reading a kubeconfig file into a ClientConfig: the current (or a named) context's cluster and
// user, with inline (-data) or file-path credentials.
import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { parse } from 'yaml'
import type { ClientConfig } from './types'

interface Named<T> {
  name?: string
  cluster?: T
  user?: T
  context?: T
}
interface KubeconfigFile {
  clusters?: Named<Record<string, string>>[]
  users?: Named<Record<string, string>>[]
  contexts?: Named<Record<string, string>>[]
  'current-context'?: string
}

export function loadKubeconfig(path: string, contextName?: string): ClientConfig {
  let doc: KubeconfigFile
  try {
    doc = (parse(readFileSync(path, 'utf8')) ?? {}) as KubeconfigFile
  } catch (e) {
    throw new Error(`cannot read kubeconfig ${path}: ${(e as Error).message}`)
  }
  const base = dirname(path)
  const want = contextName ?? doc['current-context']
  if (!want) throw new Error(`kubeconfig ${path} has no current-context: name a context`)
  const ctx = doc.contexts?.find((c) => c.name === want)?.context
  if (!ctx) throw new Error(`kubeconfig ${path} has no context named ${JSON.stringify(want)}`)
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster
  if (!cluster?.server) throw new Error(`kubeconfig ${path}: context ${want} names cluster ${JSON.stringify(ctx.cluster)}, which is missing or has no server`)
  const user = doc.users?.find((u) => u.name === ctx.user)?.user ?? {}

  const pem = (data: string | undefined, file: string | undefined): string | undefined => {
    if (data) return Buffer.from(data, 'base64').toString('utf8')
    if (file) return readFileSync(isAbsolute(file) ? file : resolve(base, file), 'utf8')
    return undefined
  }
  const caPem = pem(cluster['certificate-authority-data'], cluster['certificate-authority'])
  if (!caPem) throw new Error(`kubeconfig ${path}: cluster ${ctx.cluster} has no certificate-authority: KubeLab clusters always verify the server`)
  const token =
    user.token ?? (user.tokenFile ? readFileSync(isAbsolute(user.tokenFile) ? user.tokenFile : resolve(base, user.tokenFile), 'utf8').trim() : undefined)
  return {
    server: cluster.server,
    caPem,
    certPem: pem(user['client-certificate-data'], user['client-certificate']),
    keyPem: pem(user['client-key-data'], user['client-key']),
    token,
  }
}
