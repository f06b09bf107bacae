// Bound ServiceAccount tokens as upstream issues and checks them, through the real kubectl
// (`kubectl create token`) and raw HTTPS with the token as the only credential: the claims, the
// signature against the published JWKS, and 401 once the token is expired, meant for another
// audience, tampered with, or its ServiceAccount or bound Pod is gone (or re-created). Pods get
// upstream's kube-api-access volume at admission; the kubelet's token manager fetches bound
// tokens from this server and fetches again before they expire.
import { createPublicKey, verify } from 'node:crypto'
import { request } from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Pod } from 'kubernetes-types/core/v1'
import { startTestApiServer, writeManifest, type TestApiServer } from '../helpers/apiserver'
import { createClient, loadKubeconfig, type ClosableClient } from '../../src-cluster/client'
import { TokenManager } from '../../src-cluster/kubelet/token-manager'
import { createControllerContext } from '../../src-cluster/controllers/framework'
import { ReplicaSetController } from '../../src-cluster/controllers/workloads'

let t: TestApiServer
// The server's clock runs this far ahead of the real one (to expire tokens without waiting).
let skewMs = 0

beforeAll(async () => {
  t = await startTestApiServer({ now: () => new Date(Date.now() + skewMs), disableAdmissionPlugins: [] })
  await t.k('create', 'namespace', 'dev')
  await t.k('-n', 'dev', 'create', 'serviceaccount', 'app')
  await t.k('-n', 'dev', 'create', 'serviceaccount', 'other')
})
afterAll(async () => {
  await t?.close()
})

interface Answer {
  code: number
  body: Record<string, unknown>
}

/** A request whose only credential is the bearer token (no client certificate). */
function call(token: string | undefined, path: string, method = 'GET', body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, t.server.url),
      {
        method,
        ca: t.server.pki.ca.certPem,
        headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
      },
      (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c.toString()))
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }))
      },
    )
    req.on('error', reject)
    req.end(body ? JSON.stringify(body) : undefined)
  })
}

const whoami = (token: string) =>
  call(token, '/apis/authentication.k8s.io/v1/selfsubjectreviews', 'POST', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })
const userOf = (a: Answer) => (a.body.status as { userInfo: { username: string; uid?: string; extra?: Record<string, string[]> } }).userInfo

function parts(token: string): { header: Record<string, unknown>; claims: Record<string, any> } {
  const [h, p] = token.split('.')
  return { header: JSON.parse(Buffer.from(h!, 'base64url').toString()), claims: JSON.parse(Buffer.from(p!, 'base64url').toString()) }
}

async function createToken(...args: string[]): Promise<string> {
  return (await t.k('-n', 'dev', 'create', 'token', ...args)).trim()
}

const uidOf = async (kind: string, name: string) => (await t.k('-n', 'dev', 'get', kind, name, '-o', 'jsonpath={.metadata.uid}')).trim()

describe('TokenRequest and bound service-account tokens', () => {
  it('kubectl create token issues a signed JWT with upstream claims, valid against the published JWKS', async () => {
    const token = await createToken('app', '--duration', '15m')
    const { header, claims } = parts(token)
    const saUid = await uidOf('serviceaccount', 'app')
    expect(header.alg).toBe('RS256')
    expect(claims).toMatchObject({
      iss: 'https://kubernetes.default.svc.cluster.local',
      aud: ['https://kubernetes.default.svc.cluster.local'],
      sub: 'system:serviceaccount:dev:app',
      'kubernetes.io': { namespace: 'dev', serviceaccount: { name: 'app', uid: saUid } },
    })
    expect(claims.exp - claims.iat).toBe(900)
    expect(claims.nbf).toBe(claims.iat)
    expect(Math.abs(claims.iat * 1000 - Date.now())).toBeLessThan(60_000)

    // The token authenticates as the ServiceAccount, with its uid.
    const me = await whoami(token)
    expect(me.code).toBe(201)
    expect(userOf(me)).toMatchObject({ username: 'system:serviceaccount:dev:app', uid: saUid })

    // Issuer discovery: a ServiceAccount may read it (anonymous may not, as upstream), and the
    // JWKS key with the token's kid verifies the signature.
    expect((await call(undefined, '/openid/v1/jwks')).code).toBe(403)
    const oidc = await call(token, '/.well-known/openid-configuration')
    expect(oidc.code).toBe(200)
    expect(oidc.body).toMatchObject({ issuer: claims.iss, jwks_uri: `${claims.iss}/openid/v1/jwks`, id_token_signing_alg_values_supported: ['RS256'] })
    const set = await call(token, '/openid/v1/jwks')
    const jwk = (set.body.keys as Record<string, string>[]).find((k) => k.kid === header.kid)
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' })
    const [h, p, s] = token.split('.')
    expect(verify('sha256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk!, format: 'jwk' }), Buffer.from(s!, 'base64url'))).toBe(true)
  })

  it('a token for another audience is refused by the API server and accepted by a TokenReview for that audience', async () => {
    const token = await createToken('app', '--audience', 'https://vault.example')
    expect(parts(token).claims.aud).toEqual(['https://vault.example'])
    expect((await whoami(token)).code).toBe(401)
    const review = (audiences?: string[]) =>
      t.k(
        'create',
        '--raw',
        '/apis/authentication.k8s.io/v1/tokenreviews',
        '-f',
        writeManifest(t.dir, 'review.json', JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } })),
      )
    const forVault = JSON.parse(await review(['https://vault.example'])).status
    expect(forVault).toMatchObject({ authenticated: true, audiences: ['https://vault.example'], user: { username: 'system:serviceaccount:dev:app' } })
    expect(JSON.parse(await review()).status.authenticated).toBe(false)
  })

  it('a tampered or unsigned token is refused', async () => {
    const token = await createToken('app')
    const [h, p, s] = token.split('.')
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString())
    claims['kubernetes.io'].namespace = 'kube-system'
    claims.sub = 'system:serviceaccount:kube-system:app'
    expect((await whoami(`${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`)).code).toBe(401)
    const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')
    expect((await whoami(`${none}.${p}.`)).code).toBe(401)
  })

  it('refuses durations under 10 minutes', async () => {
    const r = await t.kubectl(['-n', 'dev', 'create', 'token', 'app', '--duration', '5m'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('may not specify a duration less than 10 minutes')
    // …and over 2^32 seconds, also a float far past it (a 500 once): 422 with upstream's message.
    const admin = loadKubeconfig(t.kubeconfig)
    for (const expirationSeconds of [2 ** 32 + 1, 1e20]) {
      const big = await new Promise<Answer>((resolve, reject) => {
        const req = request(
          new URL('/api/v1/namespaces/dev/serviceaccounts/app/token', t.server.url),
          { method: 'POST', ca: admin.caPem, cert: admin.certPem, key: admin.keyPem, headers: { 'Content-Type': 'application/json' } },
          (res) => {
            let text = ''
            res.on('data', (c: Buffer) => (text += c.toString()))
            res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }))
          },
        )
        req.on('error', reject)
        req.end(JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds } }))
      })
      expect(big.code).toBe(422)
      expect(big.body.message).toContain('spec.expirationSeconds: Invalid value')
      expect(big.body.message).toContain('may not specify a duration larger than 2^32 seconds')
    }
  })

  it('a token bound to a Pod names it, works while the pod exists and stops when it is deleted', async () => {
    await t.k('-n', 'dev', 'run', 'web', '--image=busybox', '--overrides', JSON.stringify({ spec: { serviceAccountName: 'app' } }))
    const podUid = await uidOf('pod', 'web')
    const token = await createToken('app', '--bound-object-kind', 'Pod', '--bound-object-name', 'web')
    expect(parts(token).claims['kubernetes.io'].pod).toEqual({ name: 'web', uid: podUid })
    const me = await whoami(token)
    expect(me.code).toBe(201)
    expect(userOf(me).extra).toEqual({ 'authentication.kubernetes.io/pod-name': ['web'], 'authentication.kubernetes.io/pod-uid': [podUid] })

    // Binding to a pod that does not exist, runs as another account, or has another uid: refused.
    const missing = await t.kubectl(['-n', 'dev', 'create', 'token', 'app', '--bound-object-kind', 'Pod', '--bound-object-name', 'nope'])
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain('pods "nope" not found')
    const foreign = await t.kubectl(['-n', 'dev', 'create', 'token', 'other', '--bound-object-kind', 'Pod', '--bound-object-name', 'web'])
    expect(foreign.stderr).toContain('cannot bind token for serviceaccount "other" to pod running with different serviceaccount name.')
    const stale = await t.kubectl([
      '-n',
      'dev',
      'create',
      'token',
      'app',
      '--bound-object-kind',
      'Pod',
      '--bound-object-name',
      'web',
      '--bound-object-uid',
      'not-the-uid',
    ])
    expect(stale.stderr).toContain('the UID in the bound object reference (not-the-uid) does not match the UID in record')
    const kind = await t.kubectl(['-n', 'dev', 'create', 'token', 'app', '--bound-object-kind', 'ConfigMap', '--bound-object-name', 'x'])
    expect(kind.code).not.toBe(0)

    await t.k('-n', 'dev', 'delete', 'pod', 'web', '--grace-period=0', '--force')
    expect((await whoami(token)).code).toBe(401)
  })

  it('deleting the ServiceAccount ends its tokens, also when one of the same name is created again', async () => {
    await t.k('-n', 'dev', 'create', 'serviceaccount', 'short')
    const old = await createToken('short')
    expect((await whoami(old)).code).toBe(201)
    await t.k('-n', 'dev', 'delete', 'serviceaccount', 'short')
    expect((await whoami(old)).code).toBe(401)
    await t.k('-n', 'dev', 'create', 'serviceaccount', 'short')
    expect((await whoami(old)).code).toBe(401)
    expect((await whoami(await createToken('short'))).code).toBe(201)
  })

  it('an expired token is refused', async () => {
    const token = await createToken('app', '--duration', '10m')
    expect((await whoami(token)).code).toBe(201)
    skewMs = 11 * 60_000
    try {
      expect((await whoami(token)).code).toBe(401)
    } finally {
      skewMs = 0
    }
  })

  it('pods get the kube-api-access projected volume in every container unless they or their ServiceAccount opt out', async () => {
    await t.k('-n', 'dev', 'create', 'serviceaccount', 'quiet')
    await t.k('-n', 'dev', 'patch', 'serviceaccount', 'quiet', '-p', '{"automountServiceAccountToken":false}')
    const pod = (name: string, spec: Record<string, unknown>) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'dev' },
        spec: { initContainers: [{ name: 'i', image: 'busybox' }], containers: [{ name: 'c', image: 'busybox' }], ...spec },
      })
    await t.k(
      'apply',
      '-f',
      writeManifest(
        t.dir,
        'pods.json',
        `{"apiVersion":"v1","kind":"List","items":[${[
          pod('mounted', { serviceAccountName: 'app' }),
          pod('pod-opt-out', { serviceAccountName: 'app', automountServiceAccountToken: false }),
          pod('sa-opt-out', { serviceAccountName: 'quiet' }),
        ].join(',')}]}`,
      ),
    )
    const get = async (name: string) => JSON.parse(await t.k('-n', 'dev', 'get', 'pod', name, '-o', 'json')) as Pod
    const p = await get('mounted')
    expect(p.spec?.serviceAccountName).toBe('app')
    const vol = p.spec?.volumes?.find((v) => v.name.startsWith('kube-api-access-'))
    expect(vol?.name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
    expect(vol?.projected).toEqual({
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    })
    for (const c of [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])]) {
      expect(c.volumeMounts).toEqual([{ name: vol!.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }])
    }
    for (const name of ['pod-opt-out', 'sa-opt-out']) expect((await get(name)).spec?.volumes ?? []).toEqual([])
  })

  it("the kubelet's token manager gets a pod-bound token, reuses it, and fetches a new one once 80% of its life has passed", async () => {
    let clock = Date.now()
    const client: ClosableClient = createClient(loadKubeconfig(t.kubeconfig))
    try {
      await t.k('-n', 'dev', 'run', 'tm', '--image=busybox', '--overrides', JSON.stringify({ spec: { serviceAccountName: 'app' } }))
      const pod = JSON.parse(await t.k('-n', 'dev', 'get', 'pod', 'tm', '-o', 'json')) as Pod
      const tm = new TokenManager(client, () => clock)
      const first = await tm.token(pod, { expirationSeconds: 3607 })
      expect(parts(first).claims['kubernetes.io'].pod).toEqual({ name: 'tm', uid: pod.metadata?.uid })
      expect(parts(first).claims.exp - parts(first).claims.iat).toBe(3607)
      expect((await whoami(first)).code).toBe(201)
      clock += 0.7 * 3607_000
      expect(await tm.token(pod, { expirationSeconds: 3607 })).toBe(first)
      // Past 80%: a new token (the server's clock moves too, so its iat differs).
      clock += 0.15 * 3607_000
      skewMs = clock - Date.now()
      const second = await tm.token(pod, { expirationSeconds: 3607 })
      expect(second).not.toBe(first)
      expect(parts(second).claims.iat).toBeGreaterThan(parts(first).claims.iat)
      expect(await tm.token(pod, { expirationSeconds: 3607 })).toBe(second)
      // No ServiceAccount: the pod's volume cannot be set up, with the API server's reason.
      const orphan = { ...pod, spec: { ...pod.spec!, serviceAccountName: 'gone' } }
      await expect(tm.token(orphan, { expirationSeconds: 3607 })).rejects.toThrow('failed to fetch token: serviceaccounts "gone" not found')
    } finally {
      skewMs = 0
      client.close()
    }
  })
})

describe('ServiceAccount admission', () => {
  const podJson = (name: string, sa?: string) =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { ...(sa ? { serviceAccountName: sa } : {}), containers: [{ name: 'c', image: 'busybox' }] },
    }) as const

  it("refuses a pod whose ServiceAccount does not exist with upstream's 403, also for a missing default account", async () => {
    const r = await t.kubectl(['-n', 'dev', 'create', '-f', writeManifest(t.dir, 'ghost.json', JSON.stringify(podJson('haunted', 'ghost')))])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('pods "haunted" is forbidden: error looking up service account dev/ghost: serviceaccount "ghost" not found')
    // No controller manager runs here, so `dev` has no `default` account: the pod is refused once
    // the lookups meant to ride out the controller's delay have run.
    const d = await t.kubectl(['-n', 'dev', 'create', '-f', writeManifest(t.dir, 'nosa.json', JSON.stringify(podJson('plain')))])
    expect(d.stderr).toContain('pods "plain" is forbidden: error looking up service account dev/default: serviceaccount "default" not found')
    expect((await t.kubectl(['-n', 'dev', 'get', 'pod', 'haunted', 'plain', '--ignore-not-found', '-o', 'name'])).stdout).toBe('')
  })

  it('a ReplicaSet in a namespace whose default account is not there yet reports FailedCreate and gets its pods once the account appears', async () => {
    await t.k('create', 'namespace', 'fresh')
    const client = createClient(loadKubeconfig(t.kubeconfig))
    const ctx = createControllerContext({ client, log: () => {} })
    const rsc = new ReplicaSetController()
    await rsc.start(ctx)
    try {
      await t.k(
        '-n',
        'fresh',
        'create',
        '-f',
        writeManifest(
          t.dir,
          'rs.json',
          JSON.stringify({
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            metadata: { name: 'web' },
            spec: {
              replicas: 2,
              selector: { matchLabels: { app: 'web' } },
              template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
            },
          }),
        ),
      )
      await expect
        .poll(async () => t.k('-n', 'fresh', 'get', 'rs', 'web', '-o', 'jsonpath={.status.conditions[?(@.type=="ReplicaFailure")].message}'), {
          timeout: 30_000,
          interval: 200,
        })
        .toContain('error looking up service account fresh/default: serviceaccount "default" not found')
      expect(await t.k('-n', 'fresh', 'get', 'pods', '-o', 'name')).toBe('')
      await t.k('-n', 'fresh', 'create', 'serviceaccount', 'default')
      await expect
        .poll(async () => (await t.k('-n', 'fresh', 'get', 'pods', '-o', 'name')).trim().split('\n').filter(Boolean).length, { timeout: 30_000, interval: 200 })
        .toBe(2)
      const pod = JSON.parse(await t.k('-n', 'fresh', 'get', 'pods', '-o', 'json')) as { items: Pod[] }
      expect(pod.items[0]?.spec?.volumes?.some((v) => v.name.startsWith('kube-api-access-'))).toBe(true)
    } finally {
      rsc.stop()
      ctx.informers.stopAll()
      client.close()
    }
  })
})
