// CRD validation rules (x-kubernetes-validations) through the real kubectl: rules compiled when
// the CRD is written, evaluated on every write of a custom resource with message,
// messageExpression, reason and fieldPath, and transition rules comparing with oldSelf.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'

let t: TestApiServer

function crd(rules: Record<string, unknown>[], specRules: Record<string, unknown>[] = []): string {
  return JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'pools.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'pools', singular: 'pool', kind: 'Pool' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  'x-kubernetes-validations': specRules,
                  properties: {
                    replicas: {
                      type: 'integer',
                      'x-kubernetes-validations': [
                        { rule: 'self >= oldSelf.orValue(0)', optionalOldSelf: true, message: 'replicas may only grow' },
                        { rule: 'oldSelf.hasValue() || self <= 10', optionalOldSelf: true, message: 'start with at most 10 replicas' },
                      ],
                    },
                    maxReplicas: { type: 'integer' },
                    mode: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'mode is immutable' }] },
                    tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-validations': rules },
                  },
                },
              },
            },
          },
        },
      ],
    },
  })
}

const pool = (name: string, spec: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Pool', metadata: { name, namespace: 'default' }, spec })

beforeAll(async () => {
  t = await startTestApiServer()
})

afterAll(async () => {
  await t?.close()
})

describe('x-kubernetes-validations', () => {
  it('refuses a CRD whose rule does not compile, naming the rule', async () => {
    const r = await t.kubectl(['apply', '-f', '-'], { input: crd([{ rule: 'self.all(t, t.size() <' }]) })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[tags].x-kubernetes-validations[0].rule: Invalid value: "self.all(t, t.size() <": compilation failed: ERROR: <input>:1:',
    )
    const other = await t.kubectl(['apply', '-f', '-'], { input: crd([{ rule: 'object.size() < 3' }]) })
    expect(other.stderr).toContain("undeclared reference to 'object'")
  })

  it('checks custom resources against the rules, with messages, reasons, field paths and transition rules', async () => {
    const created = await t.kubectl(['apply', '-f', '-'], {
      input: crd(
        [{ rule: 'self.all(t, t.size() <= 5)', messageExpression: "'tags must be at most 5 characters, got ' + self.filter(t, t.size() > 5).join(', ')" }],
        [
          { rule: 'self.replicas <= self.maxReplicas', message: 'replicas must not exceed maxReplicas', fieldPath: '.replicas' },
          { rule: "!has(self.mode) || self.mode in ['fast', 'safe']", reason: 'FieldValueForbidden', message: 'mode must be fast or safe' },
        ],
      ),
    })
    expect(created.code).toBe(0)
    await t.k('wait', '--for=condition=Established', 'crd/pools.example.com', '--timeout=20s')

    const over = await t.kubectl(['apply', '-f', '-'], { input: pool('big', { replicas: 7, maxReplicas: 5 }) })
    expect(over.code).toBe(1)
    expect(over.stderr).toContain('The Pool "big" is invalid: spec.replicas: Invalid value: "object": replicas must not exceed maxReplicas')

    const tags = await t.kubectl(['apply', '-f', '-'], { input: pool('tagged', { replicas: 1, maxReplicas: 5, tags: ['ok', 'toolong'] }) })
    expect(tags.code).toBe(1)
    expect(tags.stderr).toContain('spec.tags: Invalid value: "array": tags must be at most 5 characters, got toolong')

    const mode = await t.kubectl(['apply', '-f', '-'], { input: pool('moded', { replicas: 1, maxReplicas: 5, mode: 'wild' }) })
    expect(mode.code).toBe(1)
    expect(mode.stderr).toContain('spec: Forbidden: mode must be fast or safe')

    // Valid on create; the transition rule (mode immutable) applies on update only.
    const ok = await t.kubectl(['apply', '-f', '-'], { input: pool('good', { replicas: 2, maxReplicas: 5, mode: 'fast', tags: ['a'] }) })
    expect(ok.code).toBe(0)
    const changed = await t.kubectl(['patch', 'pool', 'good', '--type=merge', '-p', '{"spec":{"mode":"safe"}}'])
    expect(changed.code).toBe(1)
    expect(changed.stderr).toContain('spec.mode: Invalid value: "string": mode is immutable')
    await t.k('patch', 'pool', 'good', '--type=merge', '-p', '{"spec":{"replicas":4}}')
    // optionalOldSelf: evaluated on create too, with oldSelf an optional.
    const shrink = await t.kubectl(['patch', 'pool', 'good', '--type=merge', '-p', '{"spec":{"replicas":1}}'])
    expect(shrink.stderr).toContain('spec.replicas: Invalid value: "integer": replicas may only grow')
    const start = await t.kubectl(['apply', '-f', '-'], { input: pool('started', { replicas: 11, maxReplicas: 12 }) })
    expect(start.stderr).toContain('spec.replicas: Invalid value: "integer": start with at most 10 replicas')

    // A wrongly typed value blocks the rules, as upstream.
    const typed = await t.kubectl(['apply', '-f', '-'], { input: pool('typed', { replicas: 'many', maxReplicas: 5 }) })
    expect(typed.code).toBe(1)
    expect(typed.stderr).toContain('spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"')
    expect(typed.stderr).toContain('some validation rules were not checked because the object was invalid')
  })
})
