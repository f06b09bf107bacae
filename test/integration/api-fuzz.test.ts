// A bounded fuzz suite against a real in-process API server over raw HTTPS: bad bodies, names,
// query parameters and patches, generated from a fixed seed (FUZZ_SEED / FUZZ_CASES change it for
// a longer local run). Every answer must be below 500, every 4xx a Status whose code is the HTTP
// status, and the server must stay healthy with the objects it was not asked to touch intact.
import { request } from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'

let t: TestApiServer

const SEED = Number(process.env.FUZZ_SEED ?? 17)
const CASES = Number(process.env.FUZZ_CASES ?? 1000)

/** mulberry32: small, seedable, good enough to pick cases. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

interface Case {
  method: string
  path: string
  body?: string | Buffer
  contentType?: string
  accept?: string
}

interface Reply {
  status: number
  contentType: string
  body: string
}

function send(c: Case): Promise<Reply> {
  const u = new URL(t.server.url)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method: c.method,
        path: c.path,
        ca: t.server.pki.ca.certPem,
        cert: t.server.admin.certPem,
        key: t.server.admin.keyPem,
        headers: { ...(c.contentType ? { 'content-type': c.contentType } : {}), ...(c.accept ? { accept: c.accept } : {}) },
        timeout: 20_000,
      },
      (res) => {
        const status = res.statusCode ?? 0
        const contentType = String(res.headers['content-type'] ?? '')
        // A watch that was accepted streams until its timeout: its status is all we judge.
        if (status === 200 && /watch/.test(contentType + c.path)) {
          res.destroy()
          resolve({ status, contentType, body: '' })
          return
        }
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => (body += d))
        res.on('end', () => resolve({ status, contentType, body }))
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer in 20 s: ${c.method} ${c.path}`)))
    req.on('error', reject)
    req.end(c.body)
  })
}

/** encodeURIComponent, with a lone surrogate sent as the bytes a careless client would send. */
const enc = (s: string): string => {
  try {
    return encodeURIComponent(s)
  } catch {
    return '%ED%A0%80'
  }
}

const BUILTINS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__', 'toJSON', 'then']

function generator(seed: number) {
  const r = rng(seed)
  const int = (n: number) => Math.floor(r() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!
  const chance = (p: number) => r() < p

  const weirdString = (): string =>
    pick([
      '',
      ' ',
      '.',
      '..',
      '%',
      '\u0000',
      'a\u0000b',
      '\u202e\ud800',
      'x'.repeat(300),
      'x'.repeat(70_000),
      'UPPER',
      'a/b',
      '-leading',
      'trailing-',
      '😀',
      "'; DROP TABLE",
      '${x}',
      '{{x}}',
      '\\',
      '1e400',
      'NaN',
      ...BUILTINS,
    ])
  const weirdValue = (depth = 0): unknown => {
    switch (int(depth > 3 ? 8 : 11)) {
      case 0:
        return null
      case 1:
        return pick([0, -1, 1.5, 1e20, -1e308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER])
      case 2:
        return pick([true, false])
      case 3:
      case 4:
        return weirdString()
      case 5:
        return []
      case 6:
        return {}
      case 7:
        return pick(['1Gi', '100m', '-1', '1e3', '0x10', '1.5.5', '+1', '999999999999999999999Ki'])
      case 8:
        return Array.from({ length: int(4) }, () => weirdValue(depth + 1))
      default: {
        const o: Record<string, unknown> = {}
        for (let i = int(4); i > 0; i--) o[chance(0.4) ? pick(BUILTINS) : weirdString()] = weirdValue(depth + 1)
        return o
      }
    }
  }

  /** Puts a weird value somewhere in a copy of `obj` (by walking a random path). */
  const mutate = (obj: unknown): unknown => {
    const copy = JSON.parse(JSON.stringify(obj)) as Record<string, unknown>
    let at: Record<string, unknown> = copy
    for (let depth = 0; depth < 5; depth++) {
      const keys = Object.keys(at)
      if (!keys.length || chance(0.25)) break
      const k = pick(keys)
      const next = at[k]
      if (next && typeof next === 'object') at = next as Record<string, unknown>
      else break
    }
    const keys = Object.keys(at)
    const key = chance(0.3) || !keys.length ? pick([...BUILTINS, weirdString()]) : pick(keys)
    if (Array.isArray(at) && chance(0.5)) (at as unknown[]).push(weirdValue())
    else at[key] = weirdValue()
    return copy
  }

  const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { a: 'b' } }, data: { k: 'v' } })
  const pod = (name: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } }, env: [{ name: 'A', value: 'b' }] }],
    },
  })
  const deployment = (name: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas: 1, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: pod('p').spec } },
  })
  const service = (name: string) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { ports: [{ port: 80, targetPort: 'http' }], selector: { app: 'x' } },
  })
  const kinds = [
    { path: '/api/v1/namespaces/fuzz/configmaps', make: configMap },
    { path: '/api/v1/namespaces/fuzz/pods', make: pod },
    { path: '/apis/apps/v1/namespaces/fuzz/deployments', make: deployment },
    { path: '/api/v1/namespaces/fuzz/services', make: service },
  ] as const

  const fuzzName = () => `f${int(1e9).toString(36)}`
  const encodedName = (): string =>
    pick([
      fuzzName(),
      enc(weirdString()),
      '%2e',
      '%2E%2E',
      '%2F',
      '%00',
      '%zz',
      '%',
      '%c3%28',
      '..%2f..',
      '.%2e',
      'a%20b',
      'x'.repeat(300),
      `${fuzzName()}/status`,
      `${fuzzName()}/bogus`,
      `${fuzzName()}/scale`,
      enc(pick(BUILTINS)),
    ])

  const QUERY_KEYS = [
    'labelSelector',
    'fieldSelector',
    'limit',
    'continue',
    'resourceVersion',
    'resourceVersionMatch',
    'timeoutSeconds',
    'dryRun',
    'fieldManager',
    'fieldValidation',
    'propagationPolicy',
    'gracePeriodSeconds',
    'orphanDependents',
    'pretty',
    'allowWatchBookmarks',
    'sendInitialEvents',
    'force',
    'includeObject',
    BUILTINS[int(BUILTINS.length)]!,
  ]
  const queryValue = (): string =>
    pick([
      weirdString().slice(0, 2000),
      '-1',
      '0',
      '1e99',
      '99999999999999999999',
      'abc',
      'All',
      'Exact',
      'NotOlderThan',
      'Strict',
      'Orphan',
      'Foreground',
      'a in (b',
      'a!=b,,c',
      'metadata.name==',
      'spec.nodeName=x,bogus=y',
      '!!',
      'a,b=c,d notin (e)',
      Buffer.from('{"rv":1e99}').toString('base64'),
      Buffer.from('not json').toString('base64'),
      'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6OTk5OTk5OTk5LCJzdGFydCI6ImEifQ',
      '%',
      '%zz',
    ])
  const query = (): string => {
    const parts: string[] = []
    for (let i = int(4); i >= 0; i--) {
      const v = queryValue()
      parts.push(`${pick(QUERY_KEYS)}=${v.startsWith('%') ? v : enc(v)}`)
    }
    return parts.join('&')
  }

  const jsonPatchOp = (): unknown => {
    const path = pick([
      '/data/k',
      '/data',
      '/metadata/labels/a',
      '/metadata/name',
      '/-',
      '',
      '/data/~2',
      '/data/~1x',
      '/metadata/labels/-',
      '/a/b/c',
      `/${pick(BUILTINS)}`,
      '/data/0',
      '/metadata/finalizers/99',
    ])
    const op = pick(['add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus', '_get', ''])
    const o: Record<string, unknown> = { op, path }
    if (chance(0.7)) o.value = weirdValue()
    if (chance(0.5)) o.from = pick(['/data', '/data/k', '/metadata', '', '/nope', '/metadata/labels'])
    if (chance(0.1)) delete o.op
    return chance(0.05) ? weirdValue() : o
  }
  const patchBody = (): { contentType: string; body: string } => {
    switch (int(5)) {
      case 0:
        return {
          contentType: 'application/json-patch+json',
          body: JSON.stringify(chance(0.1) ? weirdValue() : Array.from({ length: 1 + int(5) }, jsonPatchOp)),
        }
      case 1:
        return { contentType: 'application/merge-patch+json', body: JSON.stringify(chance(0.3) ? weirdValue() : mutate(configMap('target'))) }
      case 2: {
        const directives = [
          { $patch: pick(['delete', 'replace', 'merge', 'bogus', 1]) },
          { data: { $patch: 'delete' } },
          { $setElementOrder: weirdValue() },
          { metadata: { $retainKeys: weirdValue() } },
          { metadata: { $deleteFromPrimitiveList: weirdValue() } },
          { metadata: { finalizers: weirdValue(), '$setElementOrder/finalizers': weirdValue() } },
          { spec: { containers: [{ $patch: 'delete', name: weirdValue() }] } },
          mutate(configMap('target')),
        ]
        return { contentType: 'application/strategic-merge-patch+json', body: JSON.stringify(pick(directives)) }
      }
      case 3:
        return {
          contentType: 'application/apply-patch+yaml',
          body: chance(0.5)
            ? JSON.stringify(mutate(configMap('target')))
            : `${pick(['a: &x [*x]', ': :', '- - -', '!!binary zz', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: 1}', '%YAML 9.9\n---\nx'])}`,
        }
      default:
        return { contentType: pick(['application/json', 'text/plain', 'application/xml', 'application/json-patch+json; charset=x', '']), body: weirdString() }
    }
  }

  const rawBody = (): { contentType: string; body: string | Buffer } => {
    const k = pick(kinds)
    switch (int(6)) {
      case 0:
      case 1:
        return { contentType: 'application/json', body: JSON.stringify(mutate(k.make(fuzzName()))) }
      case 2: {
        const text = JSON.stringify(k.make(fuzzName()))
        return { contentType: 'application/json', body: text.slice(0, int(text.length)) }
      }
      case 3:
        return { contentType: 'application/vnd.kubernetes.protobuf', body: Buffer.from(Array.from({ length: int(64) }, () => int(256))) }
      case 4:
        return {
          contentType: 'application/yaml',
          body: pick([
            'a: &a [1,2]\nb: [*a,*a,*a]',
            '--- !!python/object:os.system x',
            `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${fuzzName()}\n  <<: {__proto__: {x: 1}}`,
            ': - [',
            'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: Second',
          ]),
        }
      default:
        return { contentType: 'application/json', body: JSON.stringify(weirdValue()) }
    }
  }

  return (): Case => {
    const k = pick(kinds)
    switch (int(6)) {
      case 0:
      case 1: {
        const b = rawBody()
        return { method: 'POST', path: `${k.path}${chance(0.3) ? `?${query()}` : ''}`, ...b }
      }
      case 2:
        return { method: pick(['GET', 'DELETE', 'HEAD']), path: `${k.path}/${encodedName()}${chance(0.3) ? `?${query()}` : ''}` }
      case 3:
        return {
          method: pick(['GET', 'GET', 'DELETE']),
          path: `${k.path}?${query()}`,
          accept: chance(0.2)
            ? pick([
                'application/json;as=Table;v=v1;g=meta.k8s.io',
                'application/bogus',
                '*/*;as=Nope',
                'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
              ])
            : undefined,
        }
      case 4: {
        const p = patchBody()
        return {
          method: 'PATCH',
          path: `/api/v1/namespaces/fuzz/configmaps/${chance(0.8) ? 'target' : encodedName()}${chance(0.3) ? `?${query()}` : ''}`,
          ...p,
        }
      }
      default: {
        const b = rawBody()
        return { method: 'PUT', path: `/api/v1/namespaces/fuzz/configmaps/${chance(0.7) ? 'target' : encodedName()}`, ...b }
      }
    }
  }
}

beforeAll(async () => {
  t = await startTestApiServer()
  await t.k('create', 'namespace', 'fuzz')
  // No case names Secrets: this one must come through untouched.
  await t.k('-n', 'fuzz', 'create', 'secret', 'generic', 'keep', '--from-literal=k=v')
  await t.k('-n', 'fuzz', 'create', 'configmap', 'target', '--from-literal=k=v')
})
afterAll(async () => {
  await t?.close()
})

describe('API fuzzing (bounded, seeded)', () => {
  it(`${CASES} bad bodies, names, query parameters and patches (seed ${SEED}): no 5xx, every error a Status, the server healthy`, async () => {
    const next = generator(SEED)
    const bad: string[] = []
    const describeCase = (i: number, c: Case, r: Reply | string) =>
      `#${i} ${c.method} ${c.path.slice(0, 200)} [${c.contentType ?? ''}] ${String(c.body ?? '').slice(0, 200)} → ${typeof r === 'string' ? r : `${r.status} ${r.body.slice(0, 200)}`}`
    for (let i = 0; i < CASES; i += 8) {
      const batch = Array.from({ length: Math.min(8, CASES - i) }, () => next())
      const replies = await Promise.all(batch.map((c) => send(c).catch((e: Error) => e.message)))
      replies.forEach((r, j) => {
        const c = batch[j]!
        if (typeof r === 'string') return void bad.push(describeCase(i + j, c, `no answer: ${r}`))
        // A resourceVersion or continue token from the future is upstream's 504 "Too large resource version".
        const tooLarge = r.status === 504 && r.body.includes('"message":"Too large resource version: ')
        if ((r.status >= 500 && !tooLarge) || r.status < 200) return void bad.push(describeCase(i + j, c, r))
        if (r.status >= 400 && !tooLarge && c.method !== 'HEAD') {
          let status: { kind?: string; code?: number } | undefined
          try {
            status = JSON.parse(r.body) as { kind?: string; code?: number }
          } catch {
            status = undefined
          }
          if (status?.kind !== 'Status' || status.code !== r.status) bad.push(describeCase(i + j, c, r))
        }
      })
      // Still answering between batches: no case may starve or wedge the server.
      const h = await send({ method: 'GET', path: '/healthz' })
      if (h.status !== 200) bad.push(`after #${i}: /healthz ${h.status}`)
    }
    expect(bad).toEqual([])
    expect((await send({ method: 'GET', path: '/readyz' })).status).toBe(200)
    // What no case named is untouched; the namespace is still there.
    expect(await t.k('-n', 'fuzz', 'get', 'secret', 'keep', '-o', 'jsonpath={.data}')).toBe('{"k":"dg=="}')
    expect(await t.k('get', 'namespace', 'fuzz', '-o', 'jsonpath={.status.phase}')).toBe('Active')
  })
})
