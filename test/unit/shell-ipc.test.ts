// The Electron IPC adapter, driven with stand-ins for ipcMain and webContents (no Electron here).
import { describe, expect, it } from 'vitest'
import type { IpcMain } from 'electron'
import { createBackend, type Backend } from '../../src-main/backend'
import type { WireEvent } from '../../src-main/contract'
import { ipcChannels } from '../../src-main/contract'
import { registerIpc } from '../../src-main/electron/ipc'

type Fn = (...args: unknown[]) => unknown

function fakeIpcMain() {
  const handlers = new Map<string, Fn>()
  const listeners = new Map<string, Fn>()
  const ipc = {
    handle: (channel: string, fn: Fn) => void handlers.set(channel, fn),
    removeHandler: (channel: string) => void handlers.delete(channel),
    on: (channel: string, fn: Fn) => {
      listeners.set(channel, fn)
      return ipc
    },
    removeListener: (channel: string) => {
      listeners.delete(channel)
      return ipc
    },
  }
  return { ipc: ipc as unknown as IpcMain, handlers, listeners }
}

function fakeContents(id: number) {
  const sent: unknown[][] = []
  const on = new Map<string, Fn>()
  const contents = {
    id,
    send: (...args: unknown[]) => void sent.push(args),
    on: (name: string, fn: Fn) => {
      on.set(name, fn)
      return contents
    },
    isDestroyed: () => false,
  }
  return { contents, sent, on }
}

const trustedUrl = 'file:///app/out/renderer/index.html'
const frame = (url: string, senderId = 1) => ({ senderFrame: { url }, sender: { id: senderId } })

describe('registerIpc', () => {
  it('serves requests from the trusted renderer only', async () => {
    const { ipc, handlers } = fakeIpcMain()
    const backend = createBackend({ mode: 'electron', version: '3.0.0', env: { KUBELAB_HOME: '/nonexistent' } })
    registerIpc(ipc, backend, (url) => url.startsWith('file:///app/out/renderer/'))
    const request = handlers.get(ipcChannels.request)
    expect(request).toBeDefined()
    expect(await request?.(frame(trustedUrl), 'app.info', undefined)).toMatchObject({
      ok: true,
      value: { version: '3.0.0', mode: 'electron' },
    })
    expect(await request?.(frame(trustedUrl), 'clusters.list', undefined)).toEqual({ ok: true, value: [] })
    expect(await request?.(frame('https://evil.example/'), 'clusters.list', undefined)).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    })
  })

  it('queues events per window until its renderer is ready, and again after a reload', () => {
    const { ipc, listeners, handlers } = fakeIpcMain()
    const subscribers = new Set<(m: WireEvent) => void>()
    const backend: Backend = {
      request: async () => ({ ok: true, value: null }),
      subscribe: (l) => {
        subscribers.add(l)
        return () => subscribers.delete(l)
      },
      publish: () => undefined,
      close: async () => undefined,
    }
    const adapter = registerIpc(ipc, backend, (url) => url === trustedUrl)
    const win = fakeContents(1)
    adapter.attach(win.contents as never)
    const emit = (n: number) => subscribers.forEach((l) => l({ name: 'demo.tick', payload: n }))

    emit(1)
    expect(win.sent).toEqual([])
    listeners.get(ipcChannels.ready)?.(frame('https://evil.example/'))
    expect(win.sent).toEqual([]) // an untrusted frame cannot release the queue
    listeners.get(ipcChannels.ready)?.(frame(trustedUrl))
    expect(win.sent).toEqual([[ipcChannels.event, 'demo.tick', 1]])

    win.on.get('did-start-navigation')?.({ isMainFrame: true, isSameDocument: false })
    emit(2)
    expect(win.sent).toHaveLength(1)
    listeners.get(ipcChannels.ready)?.(frame(trustedUrl))
    expect(win.sent[1]).toEqual([ipcChannels.event, 'demo.tick', 2])

    adapter.dispose()
    expect(subscribers.size).toBe(0)
    expect(handlers.size).toBe(0)
  })
})
