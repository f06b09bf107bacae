// The field manager's pure parts: FieldsV1 encoding, field sets walked with the schema,
// removal of what an applier dropped, entry capping, manager names from User-Agents.
import { describe, expect, it } from 'vitest'
import { structByName } from '../../src-cluster/api/schema'
import { capUpdateEntries, decodeEntries, encodeEntries, type Entry } from '../../src-cluster/apiserver/fieldmanager/entries'
import { FieldSet, fromFieldsV1, pathString, toFieldsV1 } from '../../src-cluster/apiserver/fieldmanager/fieldset'
import { managerFromUserAgent } from '../../src-cluster/apiserver/fieldmanager/options'
import { compare, fieldsOf, removeUnowned } from '../../src-cluster/apiserver/fieldmanager/typed'
import type { Shape } from '../../src-cluster/apiserver/patch/shape'

const POD: Shape = { kind: 'struct', struct: structByName('io.k8s.api.core.v1.Pod') }

describe('FieldsV1', () => {
  it('writes "." first, then fields, keyed items, set values and indexes, and reads it back', () => {
    const s = new FieldSet()
    s.insert(['i:1'])
    s.insert(['v:"b"'])
    s.insert(['k:{"name":"a"}'])
    s.insert(['k:{"name":"a"}', 'f:image'])
    s.insert(['f:z'])
    s.insert(['f:a'])
    const v1 = toFieldsV1(s)
    expect(Object.keys(v1)).toEqual(['f:a', 'f:z', 'k:{"name":"a"}', 'v:"b"', 'i:1'])
    expect(Object.keys(v1['k:{"name":"a"}']!)).toEqual(['.', 'f:image'])
    expect(fromFieldsV1(v1).equals(s)).toBe(true)
    expect(() => fromFieldsV1({ 'x:y': {} })).toThrow(/not a path element/)
  })

  it('prints paths as upstream conflicts do', () => {
    expect(pathString(['f:spec', 'f:containers', 'k:{"name":"web"}', 'f:ports', 'k:{"containerPort":80,"protocol":"TCP"}'])).toBe(
      '.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"]',
    )
    expect(pathString(['f:metadata', 'f:finalizers', 'v:"a"'])).toBe('.metadata.finalizers[="a"]')
  })
})

describe('field sets with the schema', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { labels: { app: 'x' }, finalizers: ['f1'] },
    spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }] }], nodeSelector: { a: 'b' } },
  }

  it('keys list items by merge keys (defaults filled in), sets by value, map entries as members', () => {
    const v = toFieldsV1(fieldsOf(pod, POD, structByName)) as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(v['f:spec']['f:containers']['k:{"name":"c"}']['f:ports']).toEqual({ 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } })
    expect(v['f:metadata']['f:finalizers']).toEqual({ 'v:"f1"': {} })
    expect(v['f:metadata']['f:labels']).toEqual({ 'f:app': {} })
  })

  it('compares: a changed image is modified, a new label added with its map, a dropped container removed', () => {
    const next = structuredClone(pod) as typeof pod & { metadata: { annotations?: Record<string, string> } }
    next.spec.containers[0]!.image = 'j'
    next.metadata.annotations = { n: 'v' }
    const c = compare(pod, next, POD, structByName)
    expect(toFieldsV1(c.modified)).toEqual({ 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { 'f:image': {} } } } })
    expect(toFieldsV1(c.added)).toEqual({ 'f:metadata': { 'f:annotations': { '.': {}, 'f:n': {} } } })
    const gone = compare(pod, { ...pod, spec: { ...pod.spec, containers: [] } }, POD, structByName)
    expect(JSON.stringify(toFieldsV1(gone.removed))).toContain('"k:{\\"name\\":\\"c\\"}":{".":{}')
  })

  it('removes only what the applier held alone', () => {
    const obj = structuredClone(pod) as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
    const last = fromFieldsV1({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': { 'f:nodeSelector': {}, 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {} } } },
    })
    const owned = fromFieldsV1({ 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { 'f:image': {} } } } })
    removeUnowned(obj, last, owned, POD, structByName)
    expect(obj.metadata.labels).toBeUndefined()
    expect(obj.spec.nodeSelector).toBeUndefined()
    expect(obj.spec.containers[0].image).toBe('i') // someone else still owns it
    expect(obj.metadata.finalizers).toEqual(['f1']) // never tracked by the applier
  })
})

describe('entries and managers', () => {
  it('folds the oldest of more than ten Update entries into ancient-changes', () => {
    const entries: Entry[] = Array.from({ length: 12 }, (_, i) => ({
      manager: `m${i}`,
      operation: 'Update' as const,
      apiVersion: 'v1',
      time: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`,
      set: fromFieldsV1({ [`f:k${i}`]: {} }),
    }))
    const out = encodeEntries(capUpdateEntries(entries))!
    expect(out).toHaveLength(10)
    const ancient = decodeEntries(out).find((e) => e.manager === 'ancient-changes')!
    expect(Object.keys(toFieldsV1(ancient.set)).sort()).toEqual(['f:k0', 'f:k1', 'f:k2'])
  })

  it('derives the manager from a User-Agent as upstream does', () => {
    expect(managerFromUserAgent('kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07')).toBe('kubectl')
    expect(managerFromUserAgent('OpenAPI-Generator/33.1.0/python')).toBe('OpenAPI-Generator')
    expect(managerFromUserAgent('a\u0001b/1')).toBe('ab')
    expect(managerFromUserAgent(undefined)).toBe('unknown')
  })
})
