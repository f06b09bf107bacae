// Electron IPC adapter for the contract. Only `import type` from electron here, so the adapter
// can be exercised in plain Node with stand-ins for ipcMain and webContents.
import type { IpcMain, IpcMainEvent, IpcMainInvokeEvent, WebContents } from 'electron'
import type { WireEvent, Reply } from '../contract'
import { ipcChannels, rpcError } from '../contract'
import type { Backend } from '../backend'
import { EventOutbox } from '../backend/outbox'

type IpcMainLike = Pick<IpcMain, 'handle' | 'removeHandler' | 'on' | 'removeListener'>
type WebContentsLike = Pick<WebContents, 'id' | 'send' | 'on' | 'isDestroyed'>

export interface IpcAdapter {
  /** Starts delivering events to this window's renderer (queued until it calls ready()). */
  attach(contents: WebContentsLike): void
  dispose(): void
}

/**
 * Wires the backend to ipcMain. `isTrustedUrl` decides which frames may call in: only our own
 * renderer, never a page that managed to navigate the window elsewhere.
 */
export function registerIpc(ipcMain: IpcMainLike, backend: Backend, isTrustedUrl: (url: string) => boolean): IpcAdapter {
  const outboxes = new Map<number, EventOutbox<WireEvent>>()

  const trusted = (event: IpcMainEvent | IpcMainInvokeEvent): boolean => {
    const url = event.senderFrame?.url
    return typeof url === 'string' && isTrustedUrl(url)
  }

  const onRequest = async (event: IpcMainInvokeEvent, name: unknown, params: unknown): Promise<Reply<unknown>> => {
    if (!trusted(event)) return rpcError('forbidden', 'request from an untrusted frame was refused')
    return backend.request(name, params)
  }
  const onReady = (event: IpcMainEvent): void => {
    if (!trusted(event)) return
    outboxes.get(event.sender.id)?.markReady()
  }

  ipcMain.handle(ipcChannels.request, onRequest)
  ipcMain.on(ipcChannels.ready, onReady)
  const unsubscribe = backend.subscribe((message) => {
    for (const box of outboxes.values()) box.push(message)
  })

  return {
    attach(contents) {
      const box = new EventOutbox<WireEvent>((m) => {
        if (!contents.isDestroyed()) contents.send(ipcChannels.event, m.name, m.payload)
      })
      outboxes.set(contents.id, box)
      // A reload or navigation starts a fresh renderer that must subscribe again.
      contents.on('did-start-navigation', (details) => {
        if (details.isMainFrame && !details.isSameDocument) box.reset()
      })
      contents.on('destroyed', () => outboxes.delete(contents.id))
    },
    dispose() {
      unsubscribe()
      ipcMain.removeHandler(ipcChannels.request)
      ipcMain.removeListener(ipcChannels.ready, onReady)
      outboxes.clear()
    },
  }
}
