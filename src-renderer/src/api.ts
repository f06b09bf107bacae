// The renderer's one way to reach the backend: the preload's bridge inside Electron, otherwise
// the WebSocket served by `kubelab serve` on the page's own origin.
import type { KubelabBridge } from '@contract'
import { wsPath } from '@contract'
import { createWsBridge } from './ws-bridge'

export function rpcUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}${wsPath}`
}

export function resolveBridge(win: Window): KubelabBridge {
  return win.kubelab ?? createWsBridge(rpcUrl(win.location))
}

export const api: KubelabBridge = resolveBridge(window)
