// Browser mode: the built renderer over HTTP and the contract over WebSocket, on one port.
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Backend } from '../backend';
import { attachRpc } from './rpc';
import { serveStatic } from './static';

export interface ServerOptions {
  backend: Backend;
  /** Folder with the built renderer (index.html + assets), normally out/renderer. */
  rendererDir: string;
  /** Defaults to 127.0.0.1: the backend can create VMs and read keys, so it stays local. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
}

export interface RunningServer {
  url: string;
  port: number;
  host: string;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  if (!existsSync(join(options.rendererDir, 'index.html'))) {
    throw new Error(`the renderer is not built (${join(options.rendererDir, 'index.html')} is missing); run \`npm run build\``);
  }
  const server = createServer((req, res) => {
    void serveStatic(options.rendererDir, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await listen(server, host, options.port);
  const port = (server.address() as AddressInfo).port;
  const rpc = attachRpc(server, options.backend, (req) => isAllowedRequest(req, host, port));
  // An unspecified bind address is not something a browser can open; loopback reaches it.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${formatHost(urlHost)}:${port}/`;

  return {
    url,
    port,
    host,
    async close() {
      await rpc.close();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE') {
        reject(new Error(`port ${port} on ${host} is already in use; pass --port with another number, or --port 0 for any free port`));
      } else if (err.code === 'EADDRNOTAVAIL') {
        reject(new Error(`cannot listen on ${host}: no such local address; pass --host 127.0.0.1`));
      } else {
        reject(new Error(`cannot listen on ${host}:${port}: ${err.message}`));
      }
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

const loopbackNames = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Same-origin WebSocket only. On a loopback bind the Host header must name loopback too, which
 * defeats DNS rebinding (a hostile name resolving to 127.0.0.1 would carry its own Host).
 */
export function isAllowedRequest(req: Pick<IncomingMessage, 'headers'>, boundHost: string, port: number): boolean {
  const hostHeader = req.headers.host;
  const origin = req.headers.origin;
  if (!hostHeader || !origin) return false;
  let hostUrl: URL;
  let originUrl: URL;
  try {
    // Parsed as URLs so default ports compare equal (a browser omits ":80" in Host).
    hostUrl = new URL(`http://${hostHeader}`);
    originUrl = new URL(origin);
  } catch {
    return false;
  }
  if (originUrl.host !== hostUrl.host) return false;
  if (isLoopback(boundHost)) {
    return loopbackNames.has(hostUrl.hostname) && Number(hostUrl.port || 80) === port;
  }
  return true;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
