import { describe, expect, it } from 'vitest'
import protobuf from 'protobufjs/minimal'
import { fixtureForKind, fixtureLookup } from './fixtures/structs'
import { decodeProtobufObject, decodeProtobufMessage, isProtobuf, formatTime } from '../../src-cluster/api/codec/protobuf'
import { formatGoDuration } from '../../src-cluster/api/codec/duration'
import { BadRequestError } from '../../src-cluster/api/errors'
import { f, int32, string, struct } from '../../src-cluster/api/schema/dsl'
import { FakeApiServer, hasKubectl } from './fixtures/fake-apiserver'

const { Writer } = protobuf
type W = InstanceType<typeof Writer>

/** Writes a length-delimited sub-message built by `body`. */
function sub(w: W, field: number, body: (w: W) => void): W {
  w.uint32((field << 3) | 2).fork()
  body(w)
  return w.ldelim()
}
function str(w: W, field: number, s: string): W {
  return w.uint32((field << 3) | 2).string(s)
}
function envelope(apiVersion: string, kindName: string, raw: Uint8Array): Uint8Array {
  const w = Writer.create()
  sub(w, 1, (t) => {
    str(t, 1, apiVersion)
    str(t, 2, kindName)
  })
  w.uint32(18).bytes(raw)
  str(w, 3, '')
  str(w, 4, '')
  return new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...w.finish()])
}

describe('isProtobuf', () => {
  it('recognises the Kubernetes protobuf media type with or without parameters', () => {
    expect(isProtobuf('application/vnd.kubernetes.protobuf')).toBe(true)
    expect(isProtobuf('application/vnd.kubernetes.protobuf; charset=utf-8')).toBe(true)
    expect(isProtobuf('application/json')).toBe(false)
    expect(isProtobuf(undefined)).toBe(false)
  })
})

describe('formatting helpers', () => {
  it('formats Go durations like time.Duration.String', () => {
    expect(formatGoDuration(0)).toBe('0s')
    expect(formatGoDuration(30e9)).toBe('30s')
    expect(formatGoDuration(3723e9)).toBe('1h2m3s')
    expect(formatGoDuration(3600e9)).toBe('1h0m0s')
    expect(formatGoDuration(1.5e9)).toBe('1.5s')
    expect(formatGoDuration(500e6)).toBe('500ms')
    expect(formatGoDuration(1500)).toBe('1.5µs')
    expect(formatGoDuration(-90e9)).toBe('-1m30s')
  })
  it('formats times as RFC 3339 in UTC', () => {
    const secs = Date.UTC(2026, 0, 2, 3, 4, 5) / 1000
    expect(formatTime(secs, 0, false)).toBe('2026-01-02T03:04:05Z')
    expect(formatTime(secs, 123456789, true)).toBe('2026-01-02T03:04:05.123456Z')
  })
})

describe('decodeProtobufObject with fixture structs', () => {
  function widgetBytes(): Uint8Array {
    const w = Writer.create()
    sub(w, 1, (m) => {
      str(m, 1, 'w1')
      str(m, 3, 'default')
      sub(m, 8, () => {}) // empty Time = unset
      sub(m, 11, (e) => {
        str(e, 1, 'app')
        str(e, 2, 'web')
      })
      sub(m, 11, (e) => {
        str(e, 1, 'empty')
        str(e, 2, '')
      })
    })
    sub(w, 2, (s) => {
      s.uint32(8).int32(0) // replicas: ptr, explicit 0 is kept
      s.uint32(16).bool(false) // paused: non-pointer false is dropped
      sub(s, 3, (c) => {
        str(c, 1, 'web')
        str(c, 2, 'nginx:1.27')
        str(c, 3, 'sh')
        str(c, 3, '')
        sub(c, 6, (p) => {
          str(p, 1, '')
          p.uint32(24).int32(80)
          str(p, 4, 'TCP')
        })
        sub(c, 8, (r) => {
          sub(r, 1, (e) => {
            str(e, 1, 'cpu')
            sub(e, 2, (q) => str(q, 1, '500m'))
          })
        })
        str(c, 14, '')
        c.uint32(16 * 8).bool(false)
      })
      sub(s, 4, (i) => {
        i.uint32(8).int64(1)
        str(i, 3, '25%')
      })
      sub(s, 5, (i) => i.uint32(8).int64(0).uint32(16).int32(8080))
      sub(s, 6, (t) =>
        t
          .uint32(8)
          .int64(Date.UTC(2026, 0, 2, 3, 4, 5) / 1000)
          .uint32(16)
          .int32(7000),
      )
      sub(s, 7, (d) => d.uint32(8).int64(90e9))
      sub(s, 8, (r) => r.uint32(10).bytes(new TextEncoder().encode('{"a":[1,2]}')))
      s.uint32(74).bytes(new Uint8Array([1, 2, 3]))
      // packed int32 list, then one more unpacked element
      s.uint32(82).fork().int32(1).int32(-2).int32(300).ldelim()
      s.uint32(80).int32(4)
      s.uint32(88).int64(2 ** 40 + 5)
      s.uint32((12 << 3) | 1).double(0.25)
      sub(s, 13, (e) => {
        str(e, 1, 'password')
        e.uint32(18).bytes(new TextEncoder().encode('hunter2'))
      })
      sub(s, 14, () => {}) // ptr to an empty struct is kept as {}
      s.uint32(16 * 8).bool(true)
      sub(s, 17, (row) => {
        str(row, 1, 'a')
        str(row, 1, 'b')
      })
      s.uint32(999 * 8).int32(5) // unknown field: skipped
    })
    sub(w, 3, () => {}) // empty status is dropped
    return w.finish()
  }

  it('decodes every wire shape into the JSON shape', () => {
    const obj = decodeProtobufObject(envelope('example.com/v1', 'Widget', widgetBytes()), fixtureLookup, fixtureForKind)
    expect(obj).toEqual({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w1', namespace: 'default', labels: { app: 'web', empty: '' } },
      spec: {
        replicas: 0,
        containers: [
          {
            name: 'web',
            image: 'nginx:1.27',
            command: ['sh', ''],
            ports: [{ containerPort: 80, protocol: 'TCP' }],
            resources: { limits: { cpu: '500m' } },
          },
        ],
        maxSurge: '25%',
        targetPort: 8080,
        lastSeen: '2026-01-02T03:04:05.000007Z',
        timeout: '1m30s',
        payload: { a: [1, 2] },
        blob: 'AQID',
        numbers: [1, -2, 300, 4],
        big: 2 ** 40 + 5,
        ratio: 0.25,
        data: { password: Buffer.from('hunter2').toString('base64') },
        emptyOk: {},
        flags: [true],
        grid: [['a', 'b']],
      },
    })
    expect(JSON.stringify(obj)).not.toContain('creationTimestamp')
  })

  it('reads embedded Go structs through their nested message (PROTO_EMBEDS)', () => {
    const rule = struct('test.Rule', 'A rule.', { host: f(1, string, 'Host.'), port: f(1, int32, 'Port, inside the embedded message.') })
    const w = Writer.create()
    str(w, 1, 'example.com')
    sub(w, 2, (e) => e.uint32(8).int32(8080))
    const embeds = (name: string) => (name === 'test.Rule' ? [{ struct: 'test.Rule', n: 2, fields: ['port'] }] : undefined)
    expect(decodeProtobufMessage(w.finish(), rule, fixtureLookup, embeds)).toEqual({ host: 'example.com', port: 8080 })
  })

  it('decodes a message without the envelope', () => {
    const w = Writer.create()
    w.uint32(8).int64(-3)
    expect(decodeProtobufMessage(w.finish(), 'test.WidgetStatus', fixtureLookup)).toEqual({ observed: -3 })
  })

  it('rejects a body without the magic prefix', () => {
    expect(() => decodeProtobufObject(new Uint8Array([1, 2, 3, 4, 5]), fixtureLookup, fixtureForKind)).toThrow(/magic/)
  })

  it('rejects truncated bodies with a 400 that says so', () => {
    const full = envelope('example.com/v1', 'Widget', widgetBytes())
    const cut = full.subarray(0, full.length - 20)
    let err: unknown
    try {
      decodeProtobufObject(cut, fixtureLookup, fixtureForKind)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(BadRequestError)
    expect((err as Error).message).toMatch(/^protobuf body: truncated/)
  })

  it('rejects truncated payloads inside a complete envelope', () => {
    const raw = widgetBytes()
    expect(() => decodeProtobufObject(envelope('example.com/v1', 'Widget', raw.subarray(0, 30)), fixtureLookup, fixtureForKind)).toThrow(
      /protobuf body: truncated or malformed test\.Widget/,
    )
  })

  it('rejects unknown kinds and wrong wire types', () => {
    expect(() => decodeProtobufObject(envelope('example.com/v1', 'Gadget', new Uint8Array()), fixtureLookup, fixtureForKind)).toThrow(/no kind "Gadget"/)
    const bad = Writer.create()
    sub(bad, 2, (s) => str(s, 1, 'three')) // replicas is a varint
    expect(() => decodeProtobufObject(envelope('example.com/v1', 'Widget', bad.finish()), fixtureLookup, fixtureForKind)).toThrow(
      /test\.WidgetSpec\.replicas has wire type 2, expected 0/,
    )
  })
})

// ---- Real test vectors: what kubectl 1.32 sends for `kubectl create ...` ----

/** What JSON's omitempty would drop and what protobuf cannot carry: nulls and empty objects. */
function normalize(v: unknown, top = true): unknown {
  if (Array.isArray(v)) return v.map((x) => normalize(x, false))
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) {
      // Go's JSON prints status counters without omitempty; kubectl create never sets status.
      if (x === null || (top && k === 'status')) continue
      const n = normalize(x, false)
      if (n && typeof n === 'object' && !Array.isArray(n) && Object.keys(n).length === 0) continue
      out[k] = n
    }
    return out
  }
  return v
}

const COMMANDS: string[][] = [
  ['create', 'secret', 'generic', 's1', '--from-literal=password=hunter2'],
  ['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=3', '--port=80'],
  ['create', 'service', 'clusterip', 'web', '--tcp=80:8080'],
  ['create', 'service', 'nodeport', 'np', '--tcp=80:8080', '--node-port=30080'],
  ['create', 'configmap', 'c', '--from-literal=a=b', '--from-literal=empty='],
  ['create', 'job', 'j', '--image=busybox', '--', 'echo', 'hi'],
  ['create', 'namespace', 'x'],
  ['create', 'serviceaccount', 'sa'],
  ['create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/1 * * * *', '--', 'date'],
  ['create', 'role', 'r', '--verb=get,list', '--resource=pods'],
  ['create', 'rolebinding', 'rb', '--role=r', '--user=alice', '--serviceaccount=default:sa'],
  ['create', 'poddisruptionbudget', 'pdb', '--selector=app=web', '--min-available=50%'],
  ['create', 'ingress', 'ing', '--rule=foo.example.com/bar*=web:80'],
]

describe.skipIf(!hasKubectl)('decoding what the real kubectl sends', () => {
  it.each(COMMANDS)('kubectl %s %s %s: decoded protobuf equals the --dry-run=client JSON', async (...args: string[]) => {
    const server = new FakeApiServer({
      answer: (req) => {
        try {
          return isProtobuf(req.contentType) ? decodeProtobufObject(new Uint8Array(req.body)) : JSON.parse(req.body.toString('utf8'))
        } catch (e) {
          return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: String(e) }
        }
      },
    })
    await server.start()
    try {
      // Output flags go before "--": what follows is the container command.
      const dash = args.indexOf('--')
      const dryArgs = dash < 0 ? [...args, '-o', 'json', '--dry-run=client'] : [...args.slice(0, dash), '-o', 'json', '--dry-run=client', ...args.slice(dash)]
      const dry = await server.kubectl(dryArgs)
      expect(dry.stderr).toBe('')
      const expected = normalize(JSON.parse(dry.stdout))
      const run = await server.kubectl(args)
      const post = server.captured.find((c) => c.method === 'POST')
      expect(run.stderr).toBe('')
      expect(post, 'kubectl sent no POST').toBeDefined()
      expect(post!.contentType).toBe('application/vnd.kubernetes.protobuf')
      expect(decodeProtobufObject(new Uint8Array(post!.body))).toEqual(expected)
    } finally {
      await server.stop()
    }
  })
})

describe('ValidatingAdmissionPolicy on the wire', () => {
  it("reads NamedRuleWithOperations' two nested messages (RuleWithOperations, then Rule) flattened as JSON has them", () => {
    const w = Writer.create()
    sub(w, 1, (m) => str(m, 1, 'replicas.example.com')) // metadata.name
    sub(w, 2, (spec) => {
      sub(spec, 2, (mc) => {
        sub(mc, 3, (rule) => {
          str(rule, 1, 'web') // resourceNames
          sub(rule, 2, (rwo) => {
            str(rwo, 1, 'CREATE') // operations
            sub(rwo, 2, (r) => {
              str(r, 1, 'apps')
              str(r, 2, 'v1')
              str(r, 3, 'deployments')
              str(r, 4, 'Namespaced')
            })
          })
        })
      })
      sub(spec, 3, (v) => str(v, 1, 'object.spec.replicas <= 5'))
    })
    const obj = decodeProtobufObject(envelope('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', w.finish()))
    expect(obj.spec).toEqual({
      matchConstraints: {
        resourceRules: [
          { resourceNames: ['web'], operations: ['CREATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'], scope: 'Namespaced' },
        ],
      },
      validations: [{ expression: 'object.spec.replicas <= 5' }],
    })
  })
})
