// The pure parts of CustomResourceDefinitions: structural-schema rules, validation messages,
// pruning, defaulting, printer-column JSONPath and kube-aware version order.
import { describe, expect, it } from 'vitest'
import { formatFieldError } from '../../src-cluster/api/errors'
import { customResourcePrinter, parseJsonPath } from '../../src-cluster/api/crd/printer'
import { defaultObject, pruneObject } from '../../src-cluster/api/crd/prune'
import { compareKubeVersions } from '../../src-cluster/api/crd/resources'
import { structuralErrors } from '../../src-cluster/api/crd/structural'
import type { JSONSchemaProps } from '../../src-cluster/api/crd/types'
import { validateAgainstSchema } from '../../src-cluster/api/crd/validate'

const P = 'spec.versions[0].schema.openAPIV3Schema'
const msgs = (s: JSONSchemaProps) => structuralErrors(s, P).map(formatFieldError)

describe('structural schemas', () => {
  it('accepts a typed schema with preserve-unknown-fields and int-or-string', () => {
    expect(
      msgs({
        type: 'object',
        properties: {
          spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          port: { 'x-kubernetes-int-or-string': true },
          tags: { type: 'array', items: { type: 'string' } },
        },
      }),
    ).toEqual([])
  })
  it('names each rule it breaks with its path', () => {
    expect(
      msgs({
        properties: {
          a: { type: 'array' },
          b: {},
          c: { type: 'object', properties: { x: { type: 'string' } }, additionalProperties: { type: 'string' } },
          d: { type: 'string', anyOf: [{ type: 'string' }] },
          e: { $ref: '#/x', type: 'string' },
          f: { type: 'array', uniqueItems: true, items: { type: 'string' } },
        },
      }),
    ).toEqual([
      `${P}.type: Required value: must not be empty at the root`,
      `${P}.properties[a].items: Required value: must be specified`,
      `${P}.properties[b].type: Required value: must not be empty for specified object fields`,
      `${P}.properties[c].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
      `${P}.properties[d].anyOf[0].type: Forbidden: must be empty to be structural`,
      `${P}.properties[e].$ref: Forbidden: $ref is not supported`,
      `${P}.properties[f].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`,
    ])
    expect(msgs({ type: 'string' })).toEqual([`${P}.type: Invalid value: "string": must be object at the root`])
    expect(msgs({ type: 'object', properties: { l: { type: 'array', items: {} } } })).toEqual([
      `${P}.properties[l].items.type: Required value: must not be empty for specified array items`,
    ])
  })
})

describe('custom resource validation', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 2 },
          n: { type: 'integer', minimum: 1, exclusiveMaximum: true, maximum: 5 },
          ratio: { type: 'number' },
          mode: { type: 'string', enum: ['a', 'b'] },
          when: { type: 'string', format: 'date-time' },
          maybe: { type: 'string', nullable: true },
          keys: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set', minItems: 1 },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    },
  }
  const errs = (spec: unknown) => validateAgainstSchema({ apiVersion: 'x/v1', kind: 'X', metadata: { name: 'x' }, spec }, schema).map(formatFieldError)
  it('accepts a valid object (integers count as numbers, nullable null)', () => {
    expect(errs({ name: 'ok', n: 4, ratio: 2, mode: 'a', when: '2024-05-01T10:00:00Z', maybe: null, keys: ['x'], labels: { a: 'b' } })).toEqual([])
  })
  it('answers with kube-openapi messages', () => {
    expect(errs({ name: 'z', n: 5, ratio: 'x', mode: 'c', when: 'yesterday', maybe: 3, keys: ['x', 'x'], labels: { a: 1 } })).toEqual([
      'spec.name: Invalid value: "z": spec.name in body should be at least 2 chars long',
      'spec.n: Invalid value: 5: spec.n in body should be less than 5',
      'spec.ratio: Invalid value: "string": spec.ratio in body must be of type number: "string"',
      'spec.mode: Unsupported value: "c": supported values: "a", "b"',
      'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
      'spec.maybe: Invalid value: "integer": spec.maybe in body must be of type string: "integer"',
      'spec.keys[1]: Duplicate value: "x"',
      'spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer"',
    ])
    expect(errs({ keys: [] })).toEqual(['spec.name: Required value', 'spec.keys: Invalid value: 0: spec.keys in body should have at least 1 items'])
  })
})

describe('pruning and defaulting', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        default: {},
        properties: {
          size: { type: 'string', default: 'm' },
          items: { type: 'array', items: { type: 'object', properties: { a: { type: 'integer', default: 1 } } } },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          obj: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { data: { type: 'object', additionalProperties: { type: 'string' } } } },
        },
      },
    },
  }
  it('drops unknown fields (not metadata, apiVersion, kind; not under preserve) and reports their paths', () => {
    const { object, unknownFields } = pruneObject(
      {
        apiVersion: 'x/v1',
        kind: 'X',
        metadata: { name: 'n', labels: { a: 'b' } },
        extra: 1,
        spec: {
          size: 's',
          bogus: true,
          items: [{ a: 2, b: 3 }],
          free: { any: { thing: 1 } },
          obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' }, junk: 1 },
        },
      },
      schema,
    )
    expect(unknownFields).toEqual(['extra', 'spec.bogus', 'spec.items[0].b', 'spec.obj.junk'])
    expect(object).toEqual({
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'n', labels: { a: 'b' } },
      spec: {
        size: 's',
        items: [{ a: 2 }],
        free: { any: { thing: 1 } },
        obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' } },
      },
    })
  })
  it('fills defaults of absent keys, inside objects that exist (a parent default of {} included)', () => {
    const o = { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'n' } } as Record<string, unknown>
    defaultObject(o as never, schema)
    expect(o.spec).toEqual({ size: 'm' })
    const p = { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'n' }, spec: { size: 'l', items: [{}, { a: 5 }] } } as Record<string, unknown>
    defaultObject(p as never, schema)
    expect(p.spec).toEqual({ size: 'l', items: [{ a: 1 }, { a: 5 }] })
  })
})

describe('printer columns and versions', () => {
  it('evaluates the JSONPath subset printer columns use', () => {
    const printer = customResourcePrinter([
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'First', type: 'string', jsonPath: '.spec.list[0]' },
      { name: 'N', type: 'integer', jsonPath: '.spec.n' },
      { name: 'Missing', type: 'string', jsonPath: '.spec.nothing' },
      { name: 'On', type: 'boolean', jsonPath: '.spec.on', priority: 1 },
    ])
    expect(printer.columns.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Ready', 0],
      ['First', 0],
      ['N', 0],
      ['Missing', 0],
      ['On', 1],
    ])
    const row = printer.row(
      {
        metadata: { name: 'x' },
        spec: { list: ['a', 'b'], n: 3.7, on: false },
        status: {
          conditions: [
            { type: 'Other', status: 'False' },
            { type: 'Ready', status: 'True' },
          ],
        },
      },
      new Date(),
    )
    expect(row.cells).toEqual(['x', 'True', 'a', 3, null, false])
    expect(parseJsonPath('{.metadata.labels["app"]}')).toEqual([{ key: 'metadata' }, { key: 'labels' }, { key: 'app' }])
    expect(customResourcePrinter(undefined).columns.map((c) => c.name)).toEqual(['Name', 'Age'])
  })
  it('orders versions as kube does', () => {
    expect(['v1alpha1', 'v1beta1', 'foo', 'v2', 'v1', 'v1beta2', 'v10'].sort(compareKubeVersions)).toEqual([
      'v10',
      'v2',
      'v1',
      'v1beta2',
      'v1beta1',
      'v1alpha1',
      'foo',
    ])
  })
})
