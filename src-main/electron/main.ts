// Electron main process: a thin shell around the plain-Node backend (window, menu, tray, IPC).
import electron from 'electron'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { ClusterSummary } from '../contract'
import { createBackend, type Backend } from '../backend'
import { registerIpc } from './ipc'
import { trayItems, trayTooltip, type TrayAction } from './tray-model'

const { app, BrowserWindow, ipcMain, shell, Menu, Tray, nativeImage } = electron

const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url))
const rendererIndex = fileURLToPath(new URL('../renderer/index.html', import.meta.url))
// The app icon ships with the renderer (public/icon.png, also the favicon's raster twin).
const iconPath = fileURLToPath(new URL('../renderer/icon.png', import.meta.url))
const rendererDirUrl = pathToFileURL(fileURLToPath(new URL('../renderer/', import.meta.url))).href
// electron-vite dev serves the renderer over HTTP and passes its URL in this variable.
const devUrl = process.env.ELECTRON_RENDERER_URL

function isTrustedUrl(url: string): boolean {
  if (devUrl) return url.startsWith(new URL(devUrl).origin + '/')
  return url.startsWith(rendererDirUrl)
}

function createWindow(adapter: ReturnType<typeof registerIpc>): void {
  const win = new BrowserWindow({
    width: 1100,
    height: 720,
    minWidth: 640,
    minHeight: 420,
    title: 'KubeLab',
    icon: iconPath,
    show: false, // shown on ready-to-show: no white flash, no half-painted window
    backgroundColor: '#0f172a',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
    },
  })
  adapter.attach(win.webContents)
  // The UI needs no camera, notifications, geolocation, ...: refuse every permission prompt.
  win.webContents.session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  win.once('ready-to-show', () => win.show())

  // External links open in the user's browser; the app window never leaves the renderer.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  win.webContents.on('will-navigate', (event, url) => {
    if (!isTrustedUrl(url)) event.preventDefault()
  })

  if (devUrl) void win.loadURL(devUrl)
  else void win.loadFile(rendererIndex)
}

function showWindow(adapter: ReturnType<typeof registerIpc>): void {
  const [win] = BrowserWindow.getAllWindows()
  if (!win) return createWindow(adapter)
  if (win.isMinimized()) win.restore()
  win.show()
  win.focus()
}

function appMenu(): electron.Menu {
  const template: electron.MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [{ label: 'KubeLab on the web', click: () => void shell.openExternal('https://kubernetes.io/docs/') }],
    },
  ]
  return Menu.buildFromTemplate(template)
}

// A 16x16 helm-blue dot: the tray's fallback when the app icon cannot be read.
const trayIconDataUrl =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAO0lEQVR4nGNgoAUwynn6HxumSDNRhhDSjNcQYjVjNYRUzRiGjBpABQMojkaqJCRiDcGrmZAhRGkmFQAA/AeHSHi00fsAAAAASUVORK5CYII='

/** The tray shows every cluster with its state and offers Start/Stop; it follows `clusters.changed`. */
function createTray(backend: Backend, adapter: ReturnType<typeof registerIpc>): electron.Tray | null {
  let tray: electron.Tray
  try {
    const icon = nativeImage.createFromPath(iconPath)
    tray = new Tray(icon.isEmpty() ? nativeImage.createFromDataURL(trayIconDataUrl) : icon.resize({ width: 16, height: 16 }))
  } catch (err) {
    // Some Linux desktops have no status area: the app works without a tray.
    console.error(`KubeLab: no tray icon (${err instanceof Error ? err.message : String(err)})`)
    return null
  }
  const run = (action: TrayAction): void => {
    if (action.kind === 'show') showWindow(adapter)
    else if (action.kind === 'quit') app.quit()
    else void backend.request(`clusters.${action.kind}`, { name: action.cluster })
  }
  const render = (clusters: ClusterSummary[]): void => {
    tray.setToolTip(trayTooltip(clusters))
    tray.setContextMenu(
      Menu.buildFromTemplate(
        trayItems(clusters).map((i) => ({
          label: i.indent ? `    ${i.label}` : i.label,
          enabled: i.enabled,
          click: i.action ? () => run(i.action!) : undefined,
        })),
      ),
    )
  }
  render([])
  void backend.request('clusters.list', undefined).then((r) => {
    if (r.ok) render(r.value as ClusterSummary[])
  })
  backend.subscribe((m) => {
    if (m.name === 'clusters.changed') render(m.payload as ClusterSummary[])
  })
  tray.on('click', () => showWindow(adapter))
  return tray
}

function start(): void {
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  const backend = createBackend({ mode: 'electron', version: app.getVersion() })
  app.whenReady().then(
    () => {
      const adapter = registerIpc(ipcMain, backend, isTrustedUrl)
      Menu.setApplicationMenu(appMenu())
      app.setAboutPanelOptions({ applicationName: 'KubeLab', applicationVersion: app.getVersion(), iconPath })
      createWindow(adapter)
      // Kept in a variable the closure holds, so the tray is not garbage-collected away.
      const tray = createTray(backend, adapter)
      app.on('before-quit', () => {
        tray?.destroy()
        void backend.close()
      })
      app.on('activate', () => {
        if (BrowserWindow.getAllWindows().length === 0) createWindow(adapter)
      })
      app.on('second-instance', () => showWindow(adapter))
    },
    (err: unknown) => {
      console.error(`KubeLab could not start Electron: ${err instanceof Error ? err.message : String(err)}`)
      app.exit(1)
    },
  )
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
}

start()
