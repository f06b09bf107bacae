// Admission webhooks through the real kubectl: a real HTTPS webhook server on loopback (its own
// CA, given to the API server as caBundle) answers AdmissionReviews; configurations are applied
// with kubectl and what kubectl prints is checked (denials, warnings, mutations, failure policy,
// dry runs). The Service-referenced webhook is reached through the Service's EndpointSlice, as
// the API server on a node reaches a webhook pod.
import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCA, issueCert, type KeyPair } from '../../src-cluster/kit/pki'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'

let t: TestApiServer
let ca: KeyPair
let hooks: Server
let port = 0
/** Every AdmissionReview request received, by path. */
const received: { path: string; review: Record<string, any> }[] = []

type Handler = (req: Record<string, any>) => Record<string, unknown> | 'hang'
const HANDLERS: Record<string, Handler> = {
  '/validate-pods': (r) => {
    const labels = (r.object ?? r.oldObject)?.metadata?.labels ?? {}
    if (labels.deny === 'true')
      return { allowed: false, status: { message: 'pods labelled deny=true are not allowed in this namespace' }, warnings: ['checked by the test webhook'] }
    return { allowed: true, warnings: ['checked by the test webhook'] }
  },
  '/forbid': () => ({ allowed: false, status: { code: 403, reason: 'Forbidden', message: 'this object is protected by the test webhook' } }),
  '/plain-deny': () => ({ allowed: false }),
  '/mutate': (r) => {
    const patch: { op: string; path: string; value: unknown }[] = [
      { op: 'add', path: '/data/added', value: 'by-webhook' },
      { op: 'add', path: '/metadata/labels/mutated', value: 'yes' },
    ]
    if (r.object?.data === undefined) patch.unshift({ op: 'add', path: '/data', value: {} })
    return { allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') }
  },
  // Reinvocation: A notes whether B has run; B marks the object.
  '/mutate-a': (r) => {
    const saw = r.object?.metadata?.labels?.b === 'set' ? 'yes' : 'no'
    const patch = [{ op: 'add', path: '/metadata/labels/seen-b', value: saw }]
    return { allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') }
  },
  '/mutate-b': () => {
    const patch = [{ op: 'add', path: '/metadata/labels/b', value: 'set' }]
    return { allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') }
  },
  '/bad-uid': () => ({ uid: 'not-the-request-uid', allowed: true }),
  '/hang': () => 'hang',
  '/allow': () => ({ allowed: true }),
}

function serve(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = []
  req.on('data', (d: Buffer) => chunks.push(d))
  req.on('end', () => {
    const path = new URL(req.url ?? '/', 'https://x').pathname
    const review = JSON.parse(Buffer.concat(chunks).toString())
    received.push({ path, review })
    const answer = HANDLERS[path]?.(review.request)
    if (answer === 'hang') return // never answers: the API server's timeout decides
    if (!answer) return void res.writeHead(404).end()
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, ...answer } }))
  })
}

const caBundle = () => Buffer.from(ca.certPem).toString('base64')

function validating(name: string, webhooks: Record<string, unknown>[]): string {
  return JSON.stringify({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name }, webhooks })
}

function hook(name: string, path: string, rules: Record<string, unknown>[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    clientConfig: { url: `https://127.0.0.1:${port}${path}`, caBundle: caBundle() },
    rules,
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    ...extra,
  }
}

const reviewsAt = (path: string) => received.filter((r) => r.path === path).map((r) => r.review)

beforeAll(async () => {
  t = await startTestApiServer()
  ca = createCA('webhook-test-ca')
  const cert = issueCert(ca, { commonName: 'hooks', server: true, ipAddresses: ['127.0.0.1'], dnsNames: ['hooks.webhooks.svc'] })
  hooks = createServer({ key: cert.keyPem, cert: cert.certPem }, serve)
  port = await new Promise<number>((resolve) => hooks.listen(0, '127.0.0.1', () => resolve((hooks.address() as { port: number }).port)))
  await t.k('create', 'namespace', 'guarded')
  await t.k('label', 'namespace', 'guarded', 'webhooks=on')
  await t.k('create', 'namespace', 'open')
})

afterAll(async () => {
  hooks?.closeAllConnections()
  await new Promise<void>((r) => (hooks ? hooks.close(() => r()) : r()))
  await t?.close()
})

describe('ValidatingWebhookConfiguration', () => {
  it('is validated as upstream and listed with its webhook count', async () => {
    const bad = await t.kubectl(['apply', '-f', '-'], {
      input: validating('bad.kubelab.test', [
        {
          name: 'short',
          clientConfig: { url: 'http://127.0.0.1/x' },
          rules: [{ operations: ['POKE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        },
      ]),
    })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('The ValidatingWebhookConfiguration "bad.kubelab.test" is invalid:')
    expect(bad.stderr).toContain('webhooks[0].name: Invalid value: "short": should be a domain with at least three segments separated by dots')
    expect(bad.stderr).toContain(
      'webhooks[0].rules[0].operations[0]: Unsupported value: "POKE": supported values: "*", "CONNECT", "CREATE", "DELETE", "UPDATE"',
    )
    expect(bad.stderr).toContain('webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun')
    expect(bad.stderr).toContain(
      `webhooks[0].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]`,
    )
    expect(bad.stderr).toContain('webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1')

    const ok = await t.kubectl(['apply', '-f', '-'], {
      input: validating('pods.kubelab.test', [
        hook('pods.kubelab.test', '/validate-pods', [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }], {
          namespaceSelector: { matchLabels: { webhooks: 'on' } },
        }),
      ]),
    })
    expect(ok.stderr).toBe('')
    expect(ok.stdout).toBe('validatingwebhookconfiguration.admissionregistration.k8s.io/pods.kubelab.test created\n')
    const got = JSON.parse(await t.k('get', 'validatingwebhookconfiguration', 'pods.kubelab.test', '-o', 'json'))
    // Upstream's defaults.
    expect(got.webhooks[0]).toMatchObject({ failurePolicy: 'Fail', matchPolicy: 'Equivalent', timeoutSeconds: 10, objectSelector: {} })
    expect(got.webhooks[0].rules[0].scope).toBe('*')
    expect(await t.k('get', 'validatingwebhookconfigurations')).toMatch(/^NAME\s+WEBHOOKS\s+AGE\npods\.kubelab\.test\s+1\s+\d+s\n$/)
  })

  it('refuses with the webhook message, passes its warnings, and sends upstream AdmissionReviews', async () => {
    const denied = await t.kubectl(['run', 'bad', '-n', 'guarded', '--image=busybox', '--labels=deny=true'])
    expect(denied.code).toBe(1)
    expect(denied.stderr).toBe(
      'Warning: checked by the test webhook\nError from server: admission webhook "pods.kubelab.test" denied the request: pods labelled deny=true are not allowed in this namespace\n',
    )
    // The same words from the oldest and newest bundled kubectl, run directly.
    for (const v of ['1.27', '1.33']) {
      const other = await new Promise<string>((resolve) =>
        execFile(
          `/usr/lib/google-cloud-sdk/bin/kubectl.${v}`,
          ['--kubeconfig', t.kubeconfig, 'run', 'bad', '-n', 'guarded', '--image=busybox', '--labels=deny=true'],
          { env: { ...process.env, HOME: t.dir } },
          (_e, _o, err) => resolve(String(err)),
        ),
      )
      expect(other).toBe(denied.stderr)
    }
    const ok = await t.kubectl(['run', 'good', '-n', 'guarded', '--image=busybox'])
    expect(ok.stderr).toBe('Warning: checked by the test webhook\n')
    expect(ok.stdout).toBe('pod/good created\n')

    const review = reviewsAt('/validate-pods').at(-1)!
    expect(review.apiVersion).toBe('admission.k8s.io/v1')
    expect(review.request).toMatchObject({
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      name: 'good',
      namespace: 'guarded',
      operation: 'CREATE',
      dryRun: false,
      oldObject: null,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'good', namespace: 'guarded' } },
    })
    expect(review.request.userInfo.username).toBe('kubernetes-admin')
    expect(review.request.userInfo.groups).toContain('system:masters')
    expect(review.request.uid).toMatch(/^[0-9a-f-]{36}$/)
    // The object as it would be stored: defaulted and through the built-in admission.
    expect(review.request.object.spec.containers[0].terminationMessagePath).toBe('/dev/termination-log')
    expect(review.request.object.spec.tolerations).toContainEqual({
      key: 'node.kubernetes.io/not-ready',
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: 300,
    })

    // A namespace outside the selector never reaches the webhook.
    const before = received.length
    expect((await t.kubectl(['run', 'bad', '-n', 'open', '--image=busybox', '--labels=deny=true'])).code).toBe(0)
    expect(received.length).toBe(before)
  })

  it('sees updates with the old object, and patches and dry runs too', async () => {
    const r = await t.kubectl(['label', 'pod', 'good', '-n', 'guarded', 'deny=true'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(
      'Error from server: admission webhook "pods.kubelab.test" denied the request: pods labelled deny=true are not allowed in this namespace',
    )
    const review = reviewsAt('/validate-pods').at(-1)!
    expect(review.request.operation).toBe('UPDATE')
    expect(review.request.oldObject.metadata.labels).toEqual({ run: 'good' })
    expect(review.request.object.metadata.labels).toEqual({ run: 'good', deny: 'true' })
    // kubectl label patches: PatchOptions with its field manager.
    expect(review.request.options).toEqual({ kind: 'PatchOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'kubectl-label' })

    const dry = await t.kubectl(['run', 'dry', '-n', 'guarded', '--image=busybox', '--dry-run=server'])
    expect(dry.stdout).toBe('pod/dry created (server dry run)\n')
    expect(reviewsAt('/validate-pods').at(-1)!.request).toMatchObject({ name: 'dry', dryRun: true, options: { dryRun: ['All'] } })
    expect((await t.kubectl(['get', 'pod', 'dry', '-n', 'guarded'])).code).toBe(1)
  })

  it('denies DELETE with the Status the webhook gives, and without explanation when it gives none', async () => {
    await t.k('create', 'configmap', 'keep-me', '-n', 'open')
    await t.k('create', 'configmap', 'no-reason', '-n', 'open')
    const cfg = validating('deletes.kubelab.test', [
      hook('forbid.deletes.kubelab.test', '/forbid', [{ operations: ['DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }], {
        objectSelector: { matchLabels: { protect: 'yes' } },
      }),
      hook('plain.deletes.kubelab.test', '/plain-deny', [{ operations: ['DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }], {
        objectSelector: { matchLabels: { protect: 'quietly' } },
      }),
    ])
    await t.k('label', 'configmap', 'keep-me', '-n', 'open', 'protect=yes')
    await t.k('label', 'configmap', 'no-reason', '-n', 'open', 'protect=quietly')
    expect((await t.kubectl(['apply', '-f', '-'], { input: cfg })).code).toBe(0)
    const r = await t.kubectl(['delete', 'configmap', 'keep-me', '-n', 'open'])
    expect(r.stderr).toBe(
      'Error from server (Forbidden): admission webhook "forbid.deletes.kubelab.test" denied the request: this object is protected by the test webhook\n',
    )
    expect(reviewsAt('/forbid').at(-1)!.request).toMatchObject({ operation: 'DELETE', object: null, oldObject: { metadata: { name: 'keep-me' } } })
    const quiet = await t.kubectl(['delete', 'configmap', 'no-reason', '-n', 'open'])
    expect(quiet.stderr).toBe('Error from server: admission webhook "plain.deletes.kubelab.test" denied the request without explanation\n')
    // Webhook configurations themselves are never sent to webhooks: they can always be removed.
    await t.k('delete', 'validatingwebhookconfiguration', 'deletes.kubelab.test')
    expect((await t.kubectl(['delete', 'configmap', 'keep-me', 'no-reason', '-n', 'open'])).code).toBe(0)
  })
})

describe('MutatingWebhookConfiguration', () => {
  it('applies the JSONPatch the webhook answers before validation', async () => {
    const cfg = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'mutate.kubelab.test' },
      webhooks: [
        hook('configmaps.mutate.kubelab.test', '/mutate', [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }], {
          objectSelector: { matchLabels: { mutate: 'me' } },
        }),
      ],
    }
    expect((await t.kubectl(['apply', '-f', '-'], { input: JSON.stringify(cfg) })).code).toBe(0)
    const out = await t.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'changed', namespace: 'open', labels: { mutate: 'me' } },
        data: { mine: 'x' },
      }),
    })
    expect(out.stderr).toBe('')
    const cm = JSON.parse(await t.k('get', 'configmap', 'changed', '-n', 'open', '-o', 'json'))
    expect(cm.data).toEqual({ mine: 'x', added: 'by-webhook' })
    expect(cm.metadata.labels).toEqual({ mutate: 'me', mutated: 'yes' })
    const untouched = JSON.parse(await t.k('create', 'configmap', 'untouched', '-n', 'open', '--from-literal=a=b', '-o', 'json'))
    expect(untouched.data).toEqual({ a: 'b' })
    expect(await t.k('get', 'mutatingwebhookconfigurations', '-o', 'name')).toBe(
      'mutatingwebhookconfiguration.admissionregistration.k8s.io/mutate.kubelab.test\n',
    )
  })
})

describe('with ValidatingAdmissionPolicies', () => {
  it('runs policies after mutating webhooks and before validating webhooks, as upstream orders them', async () => {
    await t.k('create', 'namespace', 'ordered')
    const sel = { matchLabels: { 'kubernetes.io/metadata.name': 'ordered' } }
    const policy = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'no-added.kubelab.test' },
      spec: {
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }] },
        validations: [{ expression: '!has(object.data) || !has(object.data.added)', message: 'the policy saw what the mutating webhook added' }],
      },
    }
    const binding = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: 'no-added.kubelab.test' },
      spec: { policyName: 'no-added.kubelab.test', validationActions: ['Deny'], matchResources: { namespaceSelector: sel } },
    }
    const validatingCfg = validating('after-policies.kubelab.test', [
      hook('configmaps.allow.kubelab.test', '/allow', [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }], {
        namespaceSelector: sel,
      }),
    ])
    for (const o of [JSON.stringify(policy), JSON.stringify(binding), validatingCfg]) expect((await t.kubectl(['apply', '-f', '-'], { input: o })).code).toBe(0)
    const before = reviewsAt('/allow').length
    // The mutating webhook of the test above adds data.added to configmaps labelled mutate=me.
    const denied = await t.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mutated', namespace: 'ordered', labels: { mutate: 'me' } } }),
    })
    expect(denied.code).toBe(1)
    expect(denied.stderr).toContain(
      "ValidatingAdmissionPolicy 'no-added.kubelab.test' with binding 'no-added.kubelab.test' denied request: the policy saw what the mutating webhook added",
    )
    // Denied by the policy: the validating webhook was never asked.
    expect(reviewsAt('/allow').length).toBe(before)
    await t.k('create', 'configmap', 'plain', '-n', 'ordered')
    expect(reviewsAt('/allow').map((r) => r.request.name)).toContain('plain')
    await t.k('delete', 'validatingadmissionpolicybinding', 'no-added.kubelab.test')
    await t.k('delete', 'validatingwebhookconfiguration', 'after-policies.kubelab.test')
  })
})

describe('reinvocation', () => {
  it('calls an IfNeeded webhook again when a later one changed the object; Never once', async () => {
    const rules = [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['secrets'] }]
    const configs = (policy: string) =>
      ['a', 'b'].map((x) => ({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: `${x}-reinvoke.kubelab.test` },
        webhooks: [
          hook(`${x}.reinvoke.kubelab.test`, `/mutate-${x}`, rules, { objectSelector: { matchLabels: { reinvoke: 'me' } }, reinvocationPolicy: policy }),
        ],
      }))
    const secret = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'open', labels: { reinvoke: 'me' } } })
    for (const c of configs('IfNeeded')) expect((await t.kubectl(['apply', '-f', '-'], { input: JSON.stringify(c) })).code).toBe(0)
    const calls = () => reviewsAt('/mutate-a').length
    let before = calls()
    expect((await t.kubectl(['create', '-f', '-'], { input: secret('again') })).code).toBe(0)
    expect(calls() - before).toBe(2)
    expect(JSON.parse(await t.k('get', 'secret', 'again', '-n', 'open', '-o', 'json')).metadata.labels).toEqual({ reinvoke: 'me', b: 'set', 'seen-b': 'yes' })
    for (const c of configs('Never')) expect((await t.kubectl(['apply', '-f', '-'], { input: JSON.stringify(c) })).code).toBe(0)
    before = calls()
    expect((await t.kubectl(['create', '-f', '-'], { input: secret('once') })).code).toBe(0)
    expect(calls() - before).toBe(1)
    expect(JSON.parse(await t.k('get', 'secret', 'once', '-n', 'open', '-o', 'json')).metadata.labels['seen-b']).toBe('no')
    await t.k('delete', 'mutatingwebhookconfiguration', 'a-reinvoke.kubelab.test', 'b-reinvoke.kubelab.test')
  })
})

describe('failures calling a webhook', () => {
  const secretRule = [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['secrets'] }]
  const apply = (webhooks: Record<string, unknown>[]) => t.kubectl(['apply', '-f', '-'], { input: validating('failing.kubelab.test', webhooks) })

  it('refuses under failurePolicy Fail with upstream words, and admits under Ignore', async () => {
    expect((await apply([hook('down.kubelab.test', '/allow', secretRule, { clientConfig: { url: 'https://127.0.0.1:1/check' } })])).code).toBe(0)
    let r = await t.kubectl(['create', 'secret', 'generic', 's1', '-n', 'open'])
    expect(r.stderr).toBe(
      'error: failed to create secret Internal error occurred: failed calling webhook "down.kubelab.test": failed to call webhook: Post "https://127.0.0.1:1/check?timeout=10s": dial tcp 127.0.0.1:1: connect: connection refused\n',
    )

    expect((await apply([hook('down.kubelab.test', '/allow', secretRule, { clientConfig: { url: `https://127.0.0.1:${port}/allow` } })])).code).toBe(0)
    r = await t.kubectl(['create', 'secret', 'generic', 's1', '-n', 'open'])
    expect(r.stderr).toContain('failed to call webhook: Post "https://127.0.0.1:')
    expect(r.stderr).toContain('tls: failed to verify certificate: x509: certificate signed by unknown authority')

    expect((await apply([hook('uid.kubelab.test', '/bad-uid', secretRule)])).code).toBe(0)
    r = await t.kubectl(['create', 'secret', 'generic', 's1', '-n', 'open'])
    expect(r.stderr).toMatch(
      /^error: failed to create secret Internal error occurred: failed calling webhook "uid.kubelab.test": received invalid webhook response: expected response.uid="[0-9a-f-]{36}", got "not-the-request-uid"\n$/,
    )

    expect((await apply([hook('slow.kubelab.test', '/hang', secretRule, { timeoutSeconds: 1 })])).code).toBe(0)
    r = await t.kubectl(['create', 'secret', 'generic', 's1', '-n', 'open'])
    expect(r.stderr).toBe(
      `error: failed to create secret Internal error occurred: failed calling webhook "slow.kubelab.test": failed to call webhook: Post "https://127.0.0.1:${port}/hang?timeout=1s": context deadline exceeded\n`,
    )
    expect((await apply([hook('slow.kubelab.test', '/hang', secretRule, { timeoutSeconds: 1, failurePolicy: 'Ignore' })])).code).toBe(0)
    r = await t.kubectl(['create', 'secret', 'generic', 's1', '-n', 'open'])
    expect(r.stdout).toBe('secret/s1 created\n')
  })

  it('accepts only side-effect-free webhooks in v1', async () => {
    const r = await t.kubectl(['apply', '-f', '-'], {
      input: validating('side.kubelab.test', [
        hook('side.kubelab.test', '/allow', [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }], { sideEffects: 'Some' }),
      ]),
    })
    expect(r.stderr).toContain('webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"')
    await t.k('delete', 'validatingwebhookconfiguration', 'failing.kubelab.test')
  })
})

describe('matching', () => {
  it('sends requests made through another version to a webhook of the equivalent one (matchPolicy Equivalent), converted', async () => {
    await t.k('create', 'deployment', 'scaled', '-n', 'open', '--image=nginx')
    const rule = [{ operations: ['CREATE'], apiGroups: ['autoscaling'], apiVersions: ['v2'], resources: ['horizontalpodautoscalers'] }]
    const cfg = validating('hpa.kubelab.test', [
      hook('equivalent.hpa.kubelab.test', '/allow', rule),
      hook('exact.hpa.kubelab.test', '/plain-deny', rule, { matchPolicy: 'Exact' }),
    ])
    expect((await t.kubectl(['apply', '-f', '-'], { input: cfg })).code).toBe(0)
    // kubectl autoscale writes autoscaling/v1: the Exact webhook (which would deny) is not called.
    const r = await t.kubectl(['autoscale', 'deployment', 'scaled', '-n', 'open', '--max=3', '--cpu-percent=50'])
    expect(r.stderr).toBe('')
    const review = reviewsAt('/allow').at(-1)!.request
    expect(review).toMatchObject({
      kind: { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' },
      resource: { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers' },
      requestKind: { group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler' },
      requestResource: { group: 'autoscaling', version: 'v1', resource: 'horizontalpodautoscalers' },
      object: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', spec: { maxReplicas: 3 } },
    })
    expect(review.object.spec.metrics[0].resource).toMatchObject({ name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } })
    await t.k('delete', 'validatingwebhookconfiguration', 'hpa.kubelab.test')
  })

  it("sends a CRD's custom resources to webhooks", async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.kubelab.test' },
      spec: {
        group: 'kubelab.test',
        scope: 'Namespaced',
        names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    }
    expect((await t.kubectl(['apply', '-f', '-'], { input: JSON.stringify(crd) })).code).toBe(0)
    await t.k('wait', '--for=condition=Established', 'crd/gadgets.kubelab.test')
    const cfg = validating('gadgets.kubelab.test', [
      hook('gadgets.kubelab.test', '/validate-pods', [
        { operations: ['CREATE'], apiGroups: ['kubelab.test'], apiVersions: ['*'], resources: ['gadgets'], scope: 'Namespaced' },
      ]),
    ])
    expect((await t.kubectl(['apply', '-f', '-'], { input: cfg })).code).toBe(0)
    const gadget = (name: string, labels: Record<string, string>) =>
      JSON.stringify({ apiVersion: 'kubelab.test/v1', kind: 'Gadget', metadata: { name, namespace: 'open', labels }, spec: { size: 1 } })
    const r = await t.kubectl(['create', '-f', '-'], { input: gadget('g1', { deny: 'true' }) })
    expect(r.stderr).toBe(
      'Warning: checked by the test webhook\nError from server: error when creating "STDIN": admission webhook "gadgets.kubelab.test" denied the request: pods labelled deny=true are not allowed in this namespace\n',
    )
    expect(reviewsAt('/validate-pods').at(-1)!.request).toMatchObject({
      kind: { group: 'kubelab.test', version: 'v1', kind: 'Gadget' },
      object: { spec: { size: 1 } },
    })
    expect((await t.kubectl(['create', '-f', '-'], { input: gadget('g2', {}) })).stdout).toBe('gadget.kubelab.test/g2 created\n')
    await t.k('delete', 'validatingwebhookconfiguration', 'gadgets.kubelab.test')
  })
})

describe('CONNECT', () => {
  it('sends kubectl exec to webhooks as PodExecOptions before the kubelet is reached', async () => {
    await t.k('run', 'shell', '-n', 'open', '--image=busybox')
    const cfg = validating('exec.kubelab.test', [
      hook('exec.kubelab.test', '/forbid', [{ operations: ['CONNECT'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/exec'] }]),
    ])
    expect((await t.kubectl(['apply', '-f', '-'], { input: cfg })).code).toBe(0)
    const r = await t.kubectl(['exec', 'shell', '-n', 'open', '--', 'ls', '/'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('admission webhook "exec.kubelab.test" denied the request: this object is protected by the test webhook')
    expect(reviewsAt('/forbid').at(-1)!.request).toMatchObject({
      operation: 'CONNECT',
      kind: { group: '', version: 'v1', kind: 'PodExecOptions' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      subResource: 'exec',
      name: 'shell',
      namespace: 'open',
      object: { kind: 'PodExecOptions', apiVersion: 'v1', command: ['ls', '/'], stdout: true, stderr: true, stdin: false, tty: false },
    })
    await t.k('delete', 'validatingwebhookconfiguration', 'exec.kubelab.test')
  })
})

describe('eviction', () => {
  it('is admitted as the CREATE of pods/eviction, and its delete is not sent to DELETE webhooks again', async () => {
    await t.k('run', 'evictee', '-n', 'open', '--image=busybox')
    await t.k('run', 'stays', '-n', 'open', '--image=busybox')
    const cfg = (withEviction: boolean) =>
      validating('eviction.kubelab.test', [
        ...(withEviction
          ? [hook('eviction.kubelab.test', '/forbid', [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/eviction'] }])]
          : []),
        hook('pod-deletes.kubelab.test', '/plain-deny', [{ operations: ['DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }]),
      ])
    const evict = () =>
      t.kubectl(['create', '--raw', '/api/v1/namespaces/open/pods/evictee/eviction', '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'evictee', namespace: 'open' } }),
      })
    expect((await t.kubectl(['apply', '-f', '-'], { input: cfg(true) })).code).toBe(0)
    const r = await evict()
    expect(r.stderr).toBe(
      'Error from server (Forbidden): admission webhook "eviction.kubelab.test" denied the request: this object is protected by the test webhook\n',
    )
    expect(reviewsAt('/forbid').at(-1)!.request).toMatchObject({
      operation: 'CREATE',
      kind: { group: 'policy', version: 'v1', kind: 'Eviction' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      subResource: 'eviction',
      object: { kind: 'Eviction', metadata: { name: 'evictee' } },
    })
    expect((await t.kubectl(['apply', '-f', '-'], { input: cfg(false) })).code).toBe(0)
    expect((await evict()).code).toBe(0)
    expect((await t.kubectl(['get', 'pod', 'evictee', '-n', 'open'])).code).toBe(1)
    // The DELETE webhook itself is live: a plain delete is refused.
    expect((await t.kubectl(['delete', 'pod', 'stays', '-n', 'open'])).stderr).toBe(
      'Error from server: admission webhook "pod-deletes.kubelab.test" denied the request without explanation\n',
    )
    await t.k('delete', 'validatingwebhookconfiguration', 'eviction.kubelab.test')
  })
})

describe('scale', () => {
  it('kubectl scale reaches deployments/scale webhooks with the Scale objects, not deployments ones', async () => {
    const cfg = validating('scale.kubelab.test', [
      hook('scale.kubelab.test', '/forbid', [{ operations: ['UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments/scale'] }]),
      hook('deployments.kubelab.test', '/plain-deny', [{ operations: ['UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }]),
    ])
    expect((await t.kubectl(['apply', '-f', '-'], { input: cfg })).code).toBe(0)
    const r = await t.kubectl(['scale', 'deployment', 'scaled', '-n', 'open', '--replicas=4'])
    expect(r.stderr).toBe(
      'Error from server (Forbidden): admission webhook "scale.kubelab.test" denied the request: this object is protected by the test webhook\n',
    )
    expect(reviewsAt('/forbid').at(-1)!.request).toMatchObject({
      operation: 'UPDATE',
      kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      subResource: 'scale',
      object: { kind: 'Scale', spec: { replicas: 4 } },
      oldObject: { kind: 'Scale', spec: { replicas: 1 } },
    })
    expect(await t.k('get', 'deployment', 'scaled', '-n', 'open', '-o', 'jsonpath={.spec.replicas}')).toBe('1')
    // A rule on deployments alone does not see the scale subresource (it would deny).
    const onlyDeployments = validating('scale.kubelab.test', [
      hook('deployments.kubelab.test', '/plain-deny', [{ operations: ['UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }]),
    ])
    expect((await t.kubectl(['apply', '-f', '-'], { input: onlyDeployments })).code).toBe(0)
    expect((await t.kubectl(['scale', 'deployment', 'scaled', '-n', 'open', '--replicas=4'])).stdout).toBe('deployment.apps/scaled scaled\n')
    await t.k('delete', 'validatingwebhookconfiguration', 'scale.kubelab.test')
  })
})

describe('a webhook behind a Service', () => {
  it('is called through a ready endpoint of the Service, its certificate checked for NAME.NAMESPACE.svc', async () => {
    await t.k('create', 'namespace', 'webhooks')
    await t.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'hooks', namespace: 'webhooks' },
            spec: { ports: [{ name: 'https', port: 443, targetPort: port }] },
          },
          {
            apiVersion: 'discovery.k8s.io/v1',
            kind: 'EndpointSlice',
            metadata: { name: 'hooks-1', namespace: 'webhooks', labels: { 'kubernetes.io/service-name': 'hooks' } },
            addressType: 'IPv4',
            endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
            ports: [{ name: 'https', port, protocol: 'TCP' }],
          },
        ],
      }),
    })
    const cfg = validating('svc.kubelab.test', [
      hook('svc.kubelab.test', '/forbid', [{ operations: ['CREATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }], {
        clientConfig: { service: { namespace: 'webhooks', name: 'hooks', path: '/forbid' }, caBundle: caBundle() },
      }),
    ])
    expect((await t.kubectl(['apply', '-f', '-'], { input: cfg })).code).toBe(0)
    const r = await t.kubectl(['create', 'deployment', 'web', '-n', 'open', '--image=nginx'])
    expect(r.stderr).toBe(
      'error: failed to create deployment: admission webhook "svc.kubelab.test" denied the request: this object is protected by the test webhook\n',
    )
    expect(reviewsAt('/forbid').at(-1)!.request).toMatchObject({ kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, name: 'web' })

    await t.k('delete', 'endpointslice', 'hooks-1', '-n', 'webhooks')
    const none = await t.kubectl(['create', 'deployment', 'web', '-n', 'open', '--image=nginx'])
    expect(none.stderr).toBe(
      'error: failed to create deployment: Internal error occurred: failed calling webhook "svc.kubelab.test": failed to call webhook: Post "https://hooks.webhooks.svc:443/forbid?timeout=10s": no endpoints available for service "hooks"\n',
    )
    await t.k('delete', 'validatingwebhookconfiguration', 'svc.kubelab.test')
  })
})
