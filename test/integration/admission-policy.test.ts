// CEL in admission through the real kubectl: ValidatingAdmissionPolicies with their bindings
// (Deny, Warn, parameters from a ConfigMap, variables, messageExpression, failurePolicy), and
// webhook matchConditions deciding whether a webhook is called at all. The webhook here points
// at a loopback port nothing listens on, so a call is visible as upstream's "failed calling
// webhook" and a skipped call as a plain success.
import { execFile } from 'node:child_process'
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'

let t: TestApiServer
let closedPort = 0

const apply = (obj: Record<string, unknown>) => t.kubectl(['apply', '-f', '-'], { input: JSON.stringify(obj) })

function policy(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name }, spec }
}
function binding(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name }, spec }
}
const deployments = { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] }

beforeAll(async () => {
  t = await startTestApiServer()
  // A port that refuses connections: bound, then closed.
  const srv = createServer()
  closedPort = await new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as { port: number }).port)))
  await new Promise<void>((r) => srv.close(() => r()))
  await t.k('create', 'namespace', 'test')
  await t.k('label', 'namespace', 'test', 'environment=test')
  await t.k('create', 'namespace', 'prod')
  await t.k('create', 'namespace', 'params')
})

afterAll(async () => {
  await t?.close()
})

describe('ValidatingAdmissionPolicy', () => {
  it('refuses an expression that does not compile, naming the field', async () => {
    const r = await apply(policy('bad.example.com', { matchConstraints: deployments, validations: [{ expression: 'object.spec.replicas <=' }] }))
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(
      'The ValidatingAdmissionPolicy "bad.example.com" is invalid: spec.validations[0].expression: Invalid value: "object.spec.replicas <=": compilation failed: ERROR: <input>:1:24: Syntax error:',
    )
    const undeclared = await apply(policy('bad.example.com', { matchConstraints: deployments, validations: [{ expression: 'spec.replicas < 5' }] }))
    expect(undeclared.code).toBe(1)
    expect(undeclared.stderr).toContain("undeclared reference to 'spec'")
    const noRules = await apply(policy('bad.example.com', { validations: [{ expression: 'true' }] }))
    expect(noRules.stderr).toContain('spec.matchConstraints: Required value')
    const bothActions = await apply(binding('bad-binding.example.com', { policyName: 'x', validationActions: ['Deny', 'Warn'] }))
    expect(bothActions.code).toBe(1)
    expect(bothActions.stderr).toContain('spec.validationActions: Invalid value: ["Deny","Warn"]: must not contain both Deny and Warn')
  })

  it('denies Deployments with more than 5 replicas in namespaces the binding selects', async () => {
    expect(
      (
        await apply(
          policy('demo-policy.example.com', {
            failurePolicy: 'Fail',
            matchConstraints: deployments,
            validations: [{ expression: 'object.spec.replicas <= 5' }],
          }),
        )
      ).code,
    ).toBe(0)
    const b = await apply(
      binding('demo-binding-test.example.com', {
        policyName: 'demo-policy.example.com',
        validationActions: ['Deny'],
        matchResources: { namespaceSelector: { matchLabels: { environment: 'test' } } },
      }),
    )
    expect(b.code).toBe(0)
    const denied = await t.kubectl(['create', 'deployment', 'nginx', '--image=nginx', '--replicas=6', '-n', 'test'])
    expect(denied.code).toBe(1)
    expect(denied.stderr).toContain(
      `deployments.apps "nginx" is forbidden: ValidatingAdmissionPolicy 'demo-policy.example.com' with binding 'demo-binding-test.example.com' denied request: failed expression: object.spec.replicas <= 5`,
    )
    // Within the limit, or in a namespace the binding does not select: admitted.
    await t.k('create', 'deployment', 'nginx', '--image=nginx', '--replicas=5', '-n', 'test')
    await t.k('create', 'deployment', 'nginx', '--image=nginx', '--replicas=9', '-n', 'prod')
    // Updates are validated too (scale goes through the Scale subresource, not matched here).
    const patch = await t.kubectl(['patch', 'deployment', 'nginx', '-n', 'test', '-p', '{"spec":{"replicas":7}}'])
    expect(patch.code).toBe(1)
    expect(patch.stderr).toContain('denied request: failed expression: object.spec.replicas <= 5')

    const list = await t.k('get', 'validatingadmissionpolicies')
    expect(list).toMatch(/NAME\s+VALIDATIONS\s+PARAMKIND\s+AGE/)
    expect(list).toMatch(/demo-policy\.example\.com\s+1\s+<unset>/)
    expect(await t.k('get', 'validatingadmissionpolicybindings')).toMatch(/demo-binding-test\.example\.com\s+demo-policy\.example\.com\s+<unset>/)
    const described = await t.k('describe', 'validatingadmissionpolicy', 'demo-policy.example.com')
    expect(described).toContain('object.spec.replicas <= 5')
    expect(await t.k('api-resources', '--api-group=admissionregistration.k8s.io')).toContain('validatingadmissionpolicybindings')
    expect(await t.k('explain', 'validatingadmissionpolicy.spec.validations')).toContain('messageExpression')
  })

  it('warns instead of denying with the Warn action, with variables and messageExpression', async () => {
    await apply(
      policy('labels.example.com', {
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }] },
        variables: [{ name: 'team', expression: "has(object.metadata.labels) && 'team' in object.metadata.labels ? object.metadata.labels.team : ''" }],
        validations: [{ expression: "variables.team != ''", messageExpression: "'configmap ' + object.metadata.name + ' has no team label'" }],
      }),
    )
    expect((await apply(binding('labels-warn.example.com', { policyName: 'labels.example.com', validationActions: ['Warn'] }))).code).toBe(0)
    const r = await t.kubectl(['create', 'configmap', 'unlabelled', '-n', 'prod'])
    expect(r.code).toBe(0)
    expect(r.stderr).toContain(
      "Warning: Validation failed for ValidatingAdmissionPolicy 'labels.example.com' with binding 'labels-warn.example.com': configmap unlabelled has no team label",
    )
    expect(r.stdout).toContain('configmap/unlabelled created')
    const ok = await t.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'labelled', namespace: 'prod', labels: { team: 'a' } } }),
    })
    expect(ok.stderr).not.toContain('Warning')
    await t.k('delete', 'validatingadmissionpolicybinding', 'labels-warn.example.com')
  })

  it('takes its limit from a ConfigMap named by the binding, and follows parameterNotFoundAction', async () => {
    await apply(
      policy('max-replicas.example.com', {
        paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
        matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] }] },
        validations: [
          {
            expression: 'object.spec.replicas <= int(params.data.maxReplicas)',
            messageExpression: "'at most ' + params.data.maxReplicas + ' replicas here'",
            reason: 'Forbidden',
          },
        ],
      }),
    )
    const b = await apply(
      binding('max-replicas-prod.example.com', {
        policyName: 'max-replicas.example.com',
        validationActions: ['Deny'],
        paramRef: { name: 'limits', namespace: 'params', parameterNotFoundAction: 'Deny' },
        matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'prod' } } },
      }),
    )
    expect(b.code).toBe(0)
    expect(await t.k('get', 'validatingadmissionpolicybinding', 'max-replicas-prod.example.com')).toContain('params/limits')
    // No ConfigMap yet: Deny.
    const missing = await t.kubectl(['create', 'deployment', 'web', '--image=nginx', '--replicas=1', '-n', 'prod'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('no params found for policy binding with `Deny` parameterNotFoundAction')
    await t.k('create', 'configmap', 'limits', '-n', 'params', '--from-literal=maxReplicas=3')
    const over = await t.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'prod' },
        spec: {
          replicas: 4,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
        },
      }),
    })
    expect(over.code).toBe(1)
    // reason Forbidden: a 403 as upstream maps the validation's reason.
    expect(over.stderr).toContain('Error from server (Forbidden): error when creating "STDIN": deployments.apps "web" is forbidden:')
    expect(over.stderr).toContain('denied request: at most 3 replicas here')
    await t.k('create', 'deployment', 'web', '--image=nginx', '--replicas=3', '-n', 'prod')
    // Raising the limit in the ConfigMap takes effect at once.
    await t.k('patch', 'configmap', 'limits', '-n', 'params', '-p', '{"data":{"maxReplicas":"10"}}')
    await t.k('create', 'deployment', 'web2', '--image=nginx', '--replicas=8', '-n', 'prod')
    // A runtime error (the ConfigMap lost its only key, so its data) refuses under failurePolicy Fail; Ignore admits.
    await t.k('patch', 'configmap', 'limits', '-n', 'params', '--type=json', '-p', '[{"op":"remove","path":"/data/maxReplicas"}]')
    const err = await t.kubectl(['create', 'deployment', 'web3', '--image=nginx', '-n', 'prod'])
    expect(err.code).toBe(1)
    expect(err.stderr).toContain("expression 'object.spec.replicas <= int(params.data.maxReplicas)' resulted in error: no such key: data")
    await t.k('patch', 'validatingadmissionpolicy', 'max-replicas.example.com', '--type=merge', '-p', '{"spec":{"failurePolicy":"Ignore"}}')
    await t.k('create', 'deployment', 'web3', '--image=nginx', '-n', 'prod')
    await t.k('delete', 'validatingadmissionpolicybinding', 'max-replicas-prod.example.com')
  })

  it('takes parameters from custom resources chosen by a label selector, and reads namespaceObject', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'imagerules.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Cluster',
        names: { plural: 'imagerules', singular: 'imagerule', kind: 'ImageRule' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', properties: { prefix: { type: 'string' } } } },
          },
        ],
      },
    }
    expect((await apply(crd)).code).toBe(0)
    await t.k('wait', '--for=condition=Established', 'crd/imagerules.example.com', '--timeout=20s')
    const rule = (name: string, prefix: string, labels: Record<string, string>) =>
      apply({ apiVersion: 'example.com/v1', kind: 'ImageRule', metadata: { name, labels }, prefix })
    expect((await rule('registry', 'registry.example.com/', { enforce: 'yes' })).code).toBe(0)
    expect((await rule('mirror', 'mirror.example.com/', { enforce: 'yes' })).code).toBe(0)
    expect((await rule('unused', 'docker.io/', { enforce: 'no' })).code).toBe(0)
    await apply(
      policy('image-prefix.example.com', {
        paramKind: { apiVersion: 'example.com/v1', kind: 'ImageRule' },
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] },
        matchConditions: [{ name: 'labelled-namespaces', expression: "namespaceObject.metadata.?labels.?environment.orValue('') == 'test'" }],
        validations: [
          {
            expression: 'object.spec.containers.all(c, c.image.startsWith(params.prefix))',
            messageExpression: "'images must come from ' + params.prefix + ' (rule ' + params.metadata.name + ')'",
          },
        ],
      }),
    )
    const b = await apply(
      binding('image-prefix.example.com', {
        policyName: 'image-prefix.example.com',
        validationActions: ['Deny'],
        paramRef: { selector: { matchLabels: { enforce: 'yes' } }, parameterNotFoundAction: 'Allow' },
      }),
    )
    expect(b.code).toBe(0)
    expect(await t.k('get', 'validatingadmissionpolicybindings', 'image-prefix.example.com')).toContain('enforce=yes')
    // Each selected parameter object is evaluated: an image must satisfy both rules, so none can.
    const denied = await t.kubectl(['run', 'web', '--image=registry.example.com/web:1', '-n', 'test'])
    expect(denied.code).toBe(1)
    expect(denied.stderr).toContain('denied request: images must come from mirror.example.com/ (rule mirror)')
    await t.k('label', 'imagerule', 'mirror', 'enforce=no', '--overwrite')
    await t.k('run', 'web', '--image=registry.example.com/web:1', '-n', 'test')
    // The namespace's labels (namespaceObject) decide in matchConditions: prod is not checked.
    await t.k('run', 'web', '--image=docker.io/nginx', '-n', 'prod')
    await t.k('delete', 'validatingadmissionpolicybinding', 'image-prefix.example.com')
  })

  it("asks the API server's authorizer for the request's user through the authorizer variable", async () => {
    await t.k('create', 'namespace', 'authz')
    await t.k('create', 'role', 'cm-writer', '-n', 'authz', '--verb=create,get', '--resource=configmaps')
    await t.k('create', 'rolebinding', 'jane-cm', '-n', 'authz', '--role=cm-writer', '--user=jane')
    await apply(
      policy('protected-configmaps.example.com', {
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }] },
        matchConditions: [{ name: 'protected', expression: "object.metadata.?labels.?protected.orValue('') == 'true'" }],
        validations: [
          {
            expression: "authorizer.group('').resource('secrets').namespace(object.metadata.namespace).check('delete').allowed()",
            message: 'only users who may delete secrets here may create protected configmaps',
          },
          { expression: "authorizer.requestResource.check('create').allowed()" },
        ],
      }),
    )
    await apply(binding('protected-configmaps.example.com', { policyName: 'protected-configmaps.example.com', validationActions: ['Deny'] }))
    const cm = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'authz', labels: { protected: 'true' } } })
    const jane = await t.kubectl(['apply', '-f', '-', '--as=jane'], { input: cm('by-jane') })
    expect(jane.code).toBe(1)
    expect(jane.stderr).toContain('denied request: only users who may delete secrets here may create protected configmaps')
    expect((await t.kubectl(['create', 'configmap', 'plain', '-n', 'authz', '--as=jane'])).code).toBe(0)
    expect((await t.kubectl(['apply', '-f', '-'], { input: cm('by-admin') })).code).toBe(0)
    await t.k('delete', 'validatingadmissionpolicybinding', 'protected-configmaps.example.com')
  })

  it('applies to webhook configurations but never to policies and bindings themselves', async () => {
    await apply(
      policy('lock-admission.example.com', {
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: ['admissionregistration.k8s.io'],
              apiVersions: ['*'],
              operations: ['CREATE', 'UPDATE', 'DELETE'],
              resources: ['validatingwebhookconfigurations', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings'],
            },
          ],
        },
        validations: [{ expression: 'false', message: 'admission configuration is locked' }],
      }),
    )
    await apply(binding('lock-admission.example.com', { policyName: 'lock-admission.example.com', validationActions: ['Deny'] }))
    const hookCfg = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'locked.example.com' },
      webhooks: [],
    }
    const r = await apply(hookCfg)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(
      "ValidatingAdmissionPolicy 'lock-admission.example.com' with binding 'lock-admission.example.com' denied request: admission configuration is locked",
    )
    // The policy cannot lock itself in: its binding and itself can still be removed.
    await t.k('delete', 'validatingadmissionpolicybinding', 'lock-admission.example.com')
    await t.k('delete', 'validatingadmissionpolicy', 'lock-admission.example.com')
    expect((await apply(hookCfg)).code).toBe(0)
  })

  it('reads the same to kubectl 1.27 and 1.33 run directly', async () => {
    for (const v of ['1.27', '1.33']) {
      const bin = `/usr/lib/google-cloud-sdk/bin/kubectl.${v}`
      const run = (...args: string[]) =>
        new Promise<{ code: number; out: string; err: string }>((resolve) =>
          execFile(
            bin,
            ['--kubeconfig', t.kubeconfig, '--cache-dir', `${t.dir}/cache-${v}`, ...args],
            { env: { ...process.env, HOME: t.dir } },
            (e, out, err) => resolve({ code: e ? 1 : 0, out: String(out), err: String(err) }),
          ),
        )
      expect((await run('get', 'validatingadmissionpolicies', 'demo-policy.example.com')).out).toMatch(/demo-policy\.example\.com\s+1\s+<unset>/)
      expect((await run('get', 'validatingadmissionpolicybindings')).out).toContain('demo-binding-test.example.com')
      const denied = await run('create', 'deployment', `old-${v.replace('.', '')}`, '--image=nginx', '--replicas=7', '-n', 'test')
      expect(denied.code).toBe(1)
      expect(denied.err).toContain("with binding 'demo-binding-test.example.com' denied request: failed expression: object.spec.replicas <= 5")
    }
  })
})

describe('webhook matchConditions', () => {
  function webhookConfig(name: string, matchConditions: Record<string, unknown>[], failurePolicy = 'Fail'): Record<string, unknown> {
    return {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name },
      webhooks: [
        {
          name: 'unreachable.example.com',
          clientConfig: { url: `https://127.0.0.1:${closedPort}/validate` },
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['secrets'] }],
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          failurePolicy,
          matchConditions,
        },
      ],
    }
  }

  it('are compiled at create: a bad expression is a 422 naming the field', async () => {
    const r = await apply(webhookConfig('bad-conditions.example.com', [{ name: 'broken', expression: 'object.metadata.name ==' }]))
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('webhooks[0].matchConditions[0].expression: Invalid value: "object.metadata.name ==": compilation failed:')
    const params = await apply(webhookConfig('bad-conditions.example.com', [{ name: 'params', expression: 'params.x == 1' }]))
    expect(params.stderr).toContain("undeclared reference to 'params'")
  })

  it('skip the webhook when one is false, call it when all are true, and follow failurePolicy on errors', async () => {
    const config = webhookConfig('conditional.example.com', [
      { name: 'not-skipped', expression: "!(has(object.metadata.labels) && 'skip' in object.metadata.labels)" },
      { name: 'not-kube-system', expression: "request.namespace != 'kube-system'" },
    ])
    expect((await apply(config)).code).toBe(0)
    const skipped = await t.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'skipped', namespace: 'prod', labels: { skip: 'yes' } } }),
    })
    expect(skipped.code).toBe(0)
    const called = await t.kubectl(['create', 'secret', 'generic', 'called', '-n', 'prod'])
    expect(called.code).toBe(1)
    expect(called.stderr).toContain('failed calling webhook "unreachable.example.com"')
    expect(called.stderr).toContain('connection refused')
    // An evaluation error (no labels at all: no such key) refuses under Fail, admits under Ignore.
    await apply(webhookConfig('conditional.example.com', [{ name: 'needs-labels', expression: "object.metadata.labels.team == 'a'" }]))
    const err = await t.kubectl(['create', 'secret', 'generic', 'errored', '-n', 'prod'])
    expect(err.code).toBe(1)
    expect(err.stderr).toContain('failed calling webhook "unreachable.example.com": failed to evaluate match condition "needs-labels": no such key: labels')
    await apply(webhookConfig('conditional.example.com', [{ name: 'needs-labels', expression: "object.metadata.labels.team == 'a'" }], 'Ignore'))
    await t.k('create', 'secret', 'generic', 'errored', '-n', 'prod')
    await t.k('delete', 'validatingwebhookconfiguration', 'conditional.example.com')
  })
})
