// What the kubelet asked of the API server and of the container runtime since it started, by
// verb and resource or by RPC (upstream's kubelet_runtime_operations_total and the client's
// rest_client_requests_total, as a log line): `kubelab-node kubelet` logs it when it stops, and
// bench/pods.bench.ts divides it by the pods it ran.
import type { Client, ResourceRef } from '../client'

export class RequestTally {
  private readonly counts = new Map<string, number>()

  add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1)
  }

  /** `CRI 1200 (RunPodSandbox 100, …); API 450 (get configmaps 100, …)`, busiest first. */
  summary(): string {
    const group = (prefix: string): string => {
      const rows = [...this.counts].filter(([k]) => k.startsWith(prefix)).sort((a, b) => b[1] - a[1])
      const total = rows.reduce((n, [, v]) => n + v, 0)
      return `${prefix.trim()} ${total} (${rows.map(([k, v]) => `${k.slice(prefix.length)} ${v}`).join(', ')})`
    }
    return `${group('CRI ')}; ${group('API ')}`
  }

  /** The client, counting each request (a watch counts once, when it is opened). */
  countingClient<C extends Client>(client: C): C {
    const what = (verb: string, res: ResourceRef, sub?: string): string => `API ${verb} ${res.plural}${sub ? `/${sub}` : ''}`
    const counted: Record<string, (res: ResourceRef, ...rest: unknown[]) => string> = {
      get: (res, _ns, _name, opts) => what('get', res, (opts as { subresource?: string } | undefined)?.subresource),
      list: (res) => what('list', res),
      create: (res) => what('create', res),
      update: (res, _obj, opts) => what('update', res, (opts as { subresource?: string } | undefined)?.subresource),
      patch: (res, _ns, _name, _body, _type, opts) => what('patch', res, (opts as { subresource?: string } | undefined)?.subresource),
      delete: (res) => what('delete', res),
      createSubresource: (res, _ns, _name, sub) => what('create', res, sub as string),
      watch: (res) => what('watch', res),
    }
    return new Proxy(client, {
      get: (target, prop, receiver) => {
        const v = Reflect.get(target, prop, receiver) as unknown
        const key = typeof prop === 'string' ? counted[prop] : undefined
        if (!key || typeof v !== 'function') return v
        return (res: ResourceRef, ...rest: unknown[]) => {
          this.add(key(res, ...rest))
          return (v as (...a: unknown[]) => unknown).call(target, res, ...rest)
        }
      },
    })
  }
}
