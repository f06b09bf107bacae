// Sandboxed preload (built as CommonJS): exposes exactly `window.kubelab` (request, on, ready),
// restricted to the names in the contract. ipcRenderer itself never reaches the page.
import { contextBridge, ipcRenderer } from 'electron'
import type { EventListener, EventName, KubelabBridge, Reply, RequestName, ResultOf } from '../contract'
import { ipcChannels, isEventName, isRequestName, rpcError } from '../contract'

const listeners = new Map<string, Set<(payload: unknown) => void>>()

// The Electron event (which carries `sender`) is dropped before reaching page code.
ipcRenderer.on(ipcChannels.event, (_event, name: unknown, payload: unknown) => {
  if (typeof name !== 'string' || !isEventName(name)) return
  for (const l of listeners.get(name) ?? []) l(payload)
})

const bridge: KubelabBridge = {
  request<K extends RequestName>(name: K, ...args: unknown[]): Promise<Reply<ResultOf<K>>> {
    if (!isRequestName(name)) {
      return Promise.resolve(rpcError('unknown_request', `unknown request ${String(name)}`))
    }
    return ipcRenderer.invoke(ipcChannels.request, name, args[0]) as Promise<Reply<ResultOf<K>>>
  },
  on<K extends EventName>(name: K, listener: EventListener<K>): () => void {
    if (!isEventName(name)) throw new Error(`unknown event ${String(name)}: not in the contract`)
    const set = listeners.get(name) ?? new Set()
    const wrapped = listener as (payload: unknown) => void
    set.add(wrapped)
    listeners.set(name, set)
    return () => set.delete(wrapped)
  },
  ready(): void {
    ipcRenderer.send(ipcChannels.ready)
  },
}

contextBridge.exposeInMainWorld('kubelab', bridge)
