// A set of field paths, kept as a trie the way structured-merge-diff keeps it, and its FieldsV1
// encoding. Path elements are stored in their FieldsV1 spelling: `f:name` (field or map key),
// `k:{"name":"web"}` (list item by its keys), `v:"x"` (set item), `i:3` (index). A node's
// `self` flag means the path itself is a member (FieldsV1 writes it as `".": {}`, or as a
// bare `{}` leaf when the node has no children).

/** The children of every node that has none (most nodes are leaves): one map, never written. */
const NO_CHILDREN: ReadonlyMap<string, FieldSet> = new Map()

export class FieldSet {
  self = false
  /** Made with the first child (every write builds and compares sets of a whole object). */
  private kids: Map<string, FieldSet> | undefined = undefined

  get children(): ReadonlyMap<string, FieldSet> {
    return this.kids ?? NO_CHILDREN
  }

  /** Puts `set` under `pe`. */
  setChild(pe: string, set: FieldSet): void {
    ;(this.kids ??= new Map()).set(pe, set)
  }

  isEmpty(): boolean {
    return !this.self && this.children.size === 0
  }

  child(pe: string): FieldSet {
    let c = this.kids?.get(pe)
    if (!c) {
      c = new FieldSet()
      this.setChild(pe, c)
    }
    return c
  }

  /** Inserts `path` as a member (intermediate nodes are created, not made members). */
  insert(path: readonly string[]): void {
    let n: FieldSet = this
    for (const pe of path) n = n.child(pe)
    n.self = true
  }

  /** The node at `path`, if the set has anything at or below it. */
  at(path: readonly string[]): FieldSet | undefined {
    let n: FieldSet | undefined = this
    for (const pe of path) {
      n = n.children.get(pe)
      if (!n) return undefined
    }
    return n
  }

  clone(): FieldSet {
    const out = new FieldSet()
    out.self = this.self
    for (const [k, v] of this.children) out.setChild(k, v.clone())
    return out
  }

  union(other: FieldSet): FieldSet {
    const out = this.clone()
    mergeInto(out, other)
    return out
  }

  /** Members of this set that are not members of `other`. */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet()
    out.self = this.self && !other.self
    for (const [k, v] of this.children) {
      const o = other.children.get(k)
      const d = o ? v.difference(o) : v.clone()
      if (!d.isEmpty()) out.setChild(k, d)
    }
    return out
  }

  /** Whether the sets have a member in common (cheaper than an empty intersection). */
  intersects(other: FieldSet): boolean {
    if (this.self && other.self) return true
    const [small, big] = this.children.size <= other.children.size ? [this, other] : [other, this]
    for (const [k, v] of small.children) {
      const o = big.children.get(k)
      if (o && v.intersects(o)) return true
    }
    return false
  }

  /** Whether every member of `other` is a member of this set. */
  covers(other: FieldSet): boolean {
    if (other.self && !this.self) return false
    for (const [k, o] of other.children) {
      const v = this.children.get(k)
      if (v === undefined) {
        if (!o.isEmpty()) return false
      } else if (!v.covers(o)) return false
    }
    return true
  }

  /** Members in both sets. */
  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet()
    out.self = this.self && other.self
    for (const [k, v] of this.children) {
      const o = other.children.get(k)
      if (!o) continue
      const i = v.intersection(o)
      if (!i.isEmpty()) out.setChild(k, i)
    }
    return out
  }

  /** Everything of this set below (and at) `path`, kept under the same path. */
  under(path: readonly string[]): FieldSet {
    const out = new FieldSet()
    const n = this.at(path)
    if (!n) return out
    let o = out
    for (const pe of path) o = o.child(pe)
    o.self = n.self
    for (const [k, v] of n.children) o.setChild(k, v.clone())
    return out
  }

  /** This set without anything at or below `path`. */
  without(path: readonly string[]): FieldSet {
    return this.difference(everythingUnder(this, path))
  }

  /** Member paths in structured-merge-diff's iteration order: a node's members, then its children. */
  members(): string[][] {
    const out: string[][] = []
    const walk = (n: FieldSet, prefix: string[]): void => {
      const keys = sortedElements(n.children.keys())
      for (const k of keys) if (n.children.get(k)!.self) out.push([...prefix, k])
      for (const k of keys) {
        const c = n.children.get(k)!
        if (c.children.size) walk(c, [...prefix, k])
      }
    }
    walk(this, [])
    return out
  }

  equals(other: FieldSet): boolean {
    if (this.self !== other.self || this.children.size !== other.children.size) return false
    for (const [k, v] of this.children) {
      const o = other.children.get(k)
      if (!o || !v.equals(o)) return false
    }
    return true
  }
}

function mergeInto(target: FieldSet, src: FieldSet): void {
  target.self ||= src.self
  for (const [k, v] of src.children) mergeInto(target.child(k), v)
}

/** A set holding every member `s` has at or below `path` (used to cut a subtree out). */
function everythingUnder(s: FieldSet, path: readonly string[]): FieldSet {
  return s.under(path)
}

const RANK: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 }

/** Sorts path elements as upstream does: fields, then keyed items, then set values, then indexes. */
export function sortedElements(keys: Iterable<string>): string[] {
  const out = [...keys]
  if (out.length < 2) return out
  return out.sort((a, b) => {
    const ra = RANK[a[0]!] ?? 9
    const rb = RANK[b[0]!] ?? 9
    if (ra !== rb) return ra - rb
    if (a[0] === 'i' && b[0] === 'i') return Number(a.slice(2)) - Number(b.slice(2))
    return a < b ? -1 : a > b ? 1 : 0
  })
}

export type FieldsV1 = { [key: string]: FieldsV1 }

/** The FieldsV1 JSON of a set: `.` first, then the children in upstream's order. */
export function toFieldsV1(fieldSet: FieldSet): FieldsV1 {
  return fillFieldsV1({}, fieldSet)
}

/** Adds the children of `fieldSet` to `out` in upstream's order (a member with children gets `.` first). */
function fillFieldsV1(out: FieldsV1, fieldSet: FieldSet): FieldsV1 {
  const children = fieldSet.children
  if (children.size === 0) return out
  for (const k of sortedElements(children.keys())) {
    const c = children.get(k)!
    out[k] = fillFieldsV1(c.self && c.children.size ? { '.': {} } : {}, c)
  }
  return out
}

const PATH_KINDS = new Set(['f', 'k', 'v', 'i'])

function isEmptyObject(o: object): boolean {
  for (const _ in o) return false
  return true
}

/** Reads FieldsV1 JSON; throws an Error naming the bad part when it is not a field set. */
export function fromFieldsV1(value: unknown, where = 'fieldsV1'): FieldSet {
  const root = new FieldSet()
  const walk = (node: unknown, into: FieldSet, path: string): void => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) throw new Error(`${path} must be an object`)
    for (const [k, c] of Object.entries(node as Record<string, unknown>)) {
      if (k === '.') {
        into.self = true
        continue
      }
      if (k.charCodeAt(1) !== 58 /* : */ || !PATH_KINDS.has(k[0]!)) throw new Error(`${path}: "${k}" is not a path element (f:, k:, v: or i:)`)
      const child = into.child(k)
      if (!c || typeof c !== 'object' || Array.isArray(c) || isEmptyObject(c)) child.self = true
      // (The path in messages is only built when there is something below to complain about.)
      if (typeof c !== 'object' || c === null || Array.isArray(c) || !isEmptyObject(c)) walk(c, child, `${path}.${k}`)
    }
  }
  walk(value, root, where)
  return root
}

/** `.spec.containers[name="web"].image`: a path as upstream prints it in conflicts. */
export function pathString(path: readonly string[]): string {
  let out = ''
  for (const pe of path) {
    const body = pe.slice(2)
    switch (pe[0]) {
      case 'f':
        out += '.' + body
        break
      case 'k': {
        const keys = JSON.parse(body) as Record<string, unknown>
        out +=
          '[' +
          Object.entries(keys)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(',') +
          ']'
        break
      }
      case 'v':
        out += `[=${body}]`
        break
      default:
        out += `[${body}]`
    }
  }
  return out
}
