import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, resolve, sep } from 'node:path'

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

/**
 * Mirrors the CSP meta tag of index.html, so responses carry it even without the tag. Inline
 * styles only (never scripts): xterm.js and vue-flow inject <style> elements.
 */
const csp =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/**
 * Serves the built renderer from `rootDir` (GET/HEAD only). Paths are resolved inside the root;
 * anything escaping it is a 404, never a file from elsewhere on the host.
 */
export async function serveStatic(rootDir: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendText(res, 405, 'method not allowed', { Allow: 'GET, HEAD' })
  }
  const file = await resolveFile(rootDir, req.url ?? '/')
  if (!file) return sendText(res, 404, 'not found')
  const type = contentTypes[extname(file.path).toLowerCase()] ?? 'application/octet-stream'
  const hashedAsset = file.path.includes(`${sep}assets${sep}`)
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': String(file.size),
    // Vite puts a content hash in asset names; index.html must be revalidated to pick new ones.
    'Cache-Control': hashedAsset ? 'public, max-age=31536000, immutable' : 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...(type.startsWith('text/html') ? { 'Content-Security-Policy': csp } : {}),
  })
  if (req.method === 'HEAD') {
    res.end()
    return
  }
  createReadStream(file.path)
    .on('error', () => res.destroy())
    .pipe(res)
}

async function resolveFile(rootDir: string, url: string): Promise<{ path: string; size: number } | null> {
  const root = resolve(rootDir)
  let pathname: string
  try {
    pathname = decodeURIComponent(new URL(url, 'http://localhost').pathname)
  } catch {
    return null // malformed percent-encoding
  }
  if (pathname.includes('\0')) return null
  let candidate = resolve(join(root, pathname))
  if (candidate !== root && !candidate.startsWith(root + sep)) return null
  try {
    let info = await stat(candidate)
    if (info.isDirectory()) {
      candidate = join(candidate, 'index.html')
      info = await stat(candidate)
    }
    return info.isFile() ? { path: candidate, size: info.size } : null
  } catch {
    return null
  }
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers })
  res.end(`${text}\n`)
}
