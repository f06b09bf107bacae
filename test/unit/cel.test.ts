// The CEL wrapper (src-cluster/apiserver/cel): Kubernetes' variables over JSON objects, the
// library functions it adds, lazy variables, and compile errors in cel-go's shape.
import { describe, expect, it } from 'vitest'
import {
  ADMISSION_VARIABLES,
  Authorizer,
  CelEvalError,
  compile,
  compileError,
  CRD_RULE_VARIABLES,
  lazyVariables,
  type AuthzAttributes,
} from '../../src-cluster/apiserver/cel'

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' } },
  spec: {
    replicas: 3,
    template: {
      spec: {
        containers: [
          { name: 'a', image: 'nginx:1.27', resources: { limits: { cpu: '500m', memory: '128Mi' } } },
          { name: 'b', image: 'registry.example.com/b:latest' },
        ],
      },
    },
  },
}

const run = (expr: string, activation: Record<string, unknown> = { object: deployment }) => compile(expr, ADMISSION_VARIABLES).evaluate(activation)

describe('CEL evaluation over Kubernetes objects', () => {
  it('reads JSON integers as int and compares them with int and double literals', () => {
    expect(run('object.spec.replicas <= 5')).toBe(true)
    expect(run('object.spec.replicas > 2.5')).toBe(true)
    expect(run('object.spec.replicas + 1')).toBe(4)
    expect(run('string(object.spec.replicas) + " replicas"')).toBe('3 replicas')
  })

  it('has the macros: has, all, exists, exists_one, map, filter', () => {
    const cs = 'object.spec.template.spec.containers'
    expect(run(`has(object.metadata.labels)`)).toBe(true)
    expect(run(`has(object.metadata.annotations)`)).toBe(false)
    expect(run(`${cs}.all(c, c.image.contains(':'))`)).toBe(true)
    expect(run(`${cs}.exists(c, c.image.endsWith(':latest'))`)).toBe(true)
    expect(run(`${cs}.exists_one(c, c.name == 'a')`)).toBe(true)
    expect(run(`${cs}.map(c, c.name)`)).toEqual(['a', 'b'])
    expect(run(`${cs}.filter(c, !has(c.resources)).map(c, c.name)`)).toEqual(['b'])
    expect(run(`object.metadata.labels.all(k, k in ['app', 'tier'])`)).toBe(true)
  })

  it('has the string, list, regex and quantity functions Kubernetes adds', () => {
    expect(run(`'a-b-c'.replace('-', '.')`)).toBe('a.b.c')
    expect(run(`'a-b-c'.replace('-', '.', 1)`)).toBe('a.b-c')
    expect(run(`'Hello'.lowerAscii() + 'x'.upperAscii()`)).toBe('helloX')
    expect(run(`'a,b'.split(',')`)).toEqual(['a', 'b'])
    expect(run(`['b', 'a'].join('/')`)).toBe('b/a')
    expect(run(`'abc'.charAt(1)`)).toBe('b')
    expect(run(`[1, 2, 3].isSorted() && [3, 1].sum() == 4 && [4, 2, 9].min() == 2 && [4, 2, 9].max() == 9`)).toBe(true)
    expect(run(`[1, 2, 3].indexOf(2)`)).toBe(1)
    expect(run(`'image: nginx:1.27'.find('[0-9]+\\\\.[0-9]+')`)).toBe('1.27')
    expect(run(`'a1b22c333'.findAll('[0-9]+')`)).toEqual(['1', '22', '333'])
    expect(run(`object.spec.template.spec.containers[0].resources.limits.cpu.matches('^[0-9]+m$')`)).toBe(true)
    const cpu = 'quantity(object.spec.template.spec.containers[0].resources.limits.cpu)'
    expect(run(`${cpu}.isLessThan(quantity('1'))`)).toBe(true)
    expect(run(`${cpu}.add(quantity('1500m')).asInteger()`)).toBe(2)
    expect(run(`quantity('128Mi').compareTo(quantity('100M'))`)).toBe(1)
    expect(run(`isQuantity('1Gi') && !isQuantity('one')`)).toBe(true)
  })

  it('supports optional field selection', () => {
    expect(run(`object.?metadata.?annotations.?owner.orValue('none')`)).toBe('none')
    expect(run(`object.metadata.?labels.?app.orValue('none')`)).toBe('web')
  })

  it('reports runtime errors as CelEvalError in cel-go words', () => {
    expect(() => run('object.metadata.annotations.owner == "x"')).toThrow(CelEvalError)
    expect(() => run('object.metadata.annotations.owner == "x"')).toThrow('no such key: annotations')
    expect(() => run('1 / 0')).toThrow('division by zero')
    expect(() => run("quantity('one')")).toThrow('quantities must match the regular expression')
  })

  it('evaluates variables lazily, at most once, and only fails the expressions that read a failing one', () => {
    let evaluated = 0
    const counted = compile('object.spec.replicas * 2', ADMISSION_VARIABLES)
    const activation: Record<string, unknown> = { object: deployment }
    activation.variables = lazyVariables(
      [
        {
          name: 'doubled',
          program: {
            expression: counted.expression,
            evaluate: (a) => {
              evaluated++
              return counted.evaluate(a)
            },
          },
        },
        { name: 'broken', program: compile('object.nope.x', ADMISSION_VARIABLES) },
        { name: 'chained', program: compile('variables.doubled + 1', ADMISSION_VARIABLES) },
      ],
      () => activation,
    )
    expect(run('variables.doubled == 6 && variables.chained == 7', activation)).toBe(true)
    expect(evaluated).toBe(1)
    expect(run('object.spec.replicas == 3', activation)).toBe(true)
    expect(() => run('variables.broken == 1', activation)).toThrow('no such key: nope')
  })

  it('treats null old objects and params as null', () => {
    expect(run('oldObject == null && params == null', { object: deployment, oldObject: null })).toBe(true)
  })
})

describe('the authorizer variable', () => {
  it('builds upstream attributes from group/resource/namespace/name/subresource and paths, for the user or a service account', () => {
    const asked: { a: AuthzAttributes; as?: { namespace: string; name: string } }[] = []
    const backend = {
      authorize(a: AuthzAttributes, as?: { namespace: string; name: string }) {
        asked.push({ a, as })
        return { allowed: a.verb === 'get', reason: `rule for ${a.verb}` }
      },
    }
    const authorizer = new Authorizer(backend, { group: 'apps', resource: 'deployments', namespace: 'ns1', name: 'web' })
    const ev = (e: string) => run(e, { authorizer })
    expect(ev("authorizer.group('').resource('secrets').namespace('a').name('s').check('get').allowed()")).toBe(true)
    expect(asked.at(-1)?.a).toEqual({ kind: 'resource', verb: 'get', group: '', resource: 'secrets', namespace: 'a', name: 's' })
    expect(ev("authorizer.requestResource.subresource('scale').check('update').allowed()")).toBe(false)
    expect(asked.at(-1)?.a).toEqual({
      kind: 'resource',
      verb: 'update',
      group: 'apps',
      resource: 'deployments',
      subresource: 'scale',
      namespace: 'ns1',
      name: 'web',
    })
    expect(ev("authorizer.path('/healthz').check('get').reason()")).toBe('rule for get')
    expect(asked.at(-1)?.a).toEqual({ kind: 'nonresource', verb: 'get', path: '/healthz' })
    expect(ev("authorizer.serviceAccount('kube-system', 'robot').group('').resource('pods').check('list').allowed()")).toBe(false)
    expect(asked.at(-1)?.as).toEqual({ namespace: 'kube-system', name: 'robot' })
  })
})

describe('CEL compile errors', () => {
  it('are cel-go style issues with line, column and a caret', () => {
    expect(compileError('object.spec.replicas <=', ADMISSION_VARIABLES)).toBe(
      'ERROR: <input>:1:24: Syntax error: Unexpected token: EOF\n | object.spec.replicas <=\n |                        ^',
    )
    expect(compileError('spec.replicas > 1', ADMISSION_VARIABLES)).toContain("ERROR: <input>:1:1: undeclared reference to 'spec' (in container '')")
  })

  it('know which variables each context declares', () => {
    expect(compileError('self.replicas <= oldSelf.replicas', CRD_RULE_VARIABLES)).toBeUndefined()
    expect(compileError('object.x == 1', CRD_RULE_VARIABLES)).toContain("undeclared reference to 'object'")
    expect(compileError('params.max > 1 && namespaceObject.metadata.name != "" && request.operation == "CREATE"', ADMISSION_VARIABLES)).toBeUndefined()
    expect(compileError("1 + 'a'", ADMISSION_VARIABLES)).toContain('no such overload')
  })
})
