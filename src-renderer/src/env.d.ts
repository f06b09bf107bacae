/// <reference types="vite/client" />
import type { KubelabBridge } from '@contract'

declare global {
  interface Window {
    /** Provided by the Electron preload; absent in browser mode (the WebSocket is used then). */
    kubelab?: KubelabBridge
  }
}
