// Electron main process: a thin shell around the plain-Node backend (window, IPC, links).
import electron from 'electron';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createBackend } from '../backend';
import { registerIpc } from './ipc';

const { app, BrowserWindow, ipcMain, shell } = electron;

const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const rendererIndex = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
const rendererDirUrl = pathToFileURL(fileURLToPath(new URL('../renderer/', import.meta.url))).href;
// electron-vite dev serves the renderer over HTTP and passes its URL in this variable.
const devUrl = process.env.ELECTRON_RENDERER_URL;

function isTrustedUrl(url: string): boolean {
  if (devUrl) return url.startsWith(new URL(devUrl).origin + '/');
  return url.startsWith(rendererDirUrl);
}

function createWindow(adapter: ReturnType<typeof registerIpc>): void {
  const win = new BrowserWindow({
    width: 1100,
    height: 720,
    minWidth: 640,
    minHeight: 420,
    title: 'KubeLab',
    show: false, // shown on ready-to-show: no white flash, no half-painted window
    backgroundColor: '#0f172a',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
    },
  });
  adapter.attach(win.webContents);
  // The UI needs no camera, notifications, geolocation, ...: refuse every permission prompt.
  win.webContents.session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  win.once('ready-to-show', () => win.show());

  // External links open in the user's browser; the app window never leaves the renderer.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!isTrustedUrl(url)) event.preventDefault();
  });

  if (devUrl) void win.loadURL(devUrl);
  else void win.loadFile(rendererIndex);
}

function start(): void {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  const backend = createBackend({ mode: 'electron', version: app.getVersion() });
  app.whenReady().then(() => {
    const adapter = registerIpc(ipcMain, backend, isTrustedUrl);
    createWindow(adapter);
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow(adapter);
    });
    app.on('second-instance', () => {
      const [win] = BrowserWindow.getAllWindows();
      if (win) {
        if (win.isMinimized()) win.restore();
        win.focus();
      }
    });
  }, (err: unknown) => {
    console.error(`KubeLab could not start Electron: ${err instanceof Error ? err.message : String(err)}`);
    app.exit(1);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}

start();
