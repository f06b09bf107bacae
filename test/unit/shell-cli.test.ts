import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseArgs, parsePort } from '../../src-main/cli/args'
import { buildOutputs, staleReason } from '../../src-main/cli/build'
import type { CliIo } from '../../src-main/cli/command'
import { findElectron } from '../../src-main/cli/electron'
import { main } from '../../src-main/cli/main'

function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = []
  const stderr: string[] = []
  return {
    stdout,
    stderr,
    out: (l) => stdout.push(l),
    err: (l) => stderr.push(l),
    env: {},
    waitForStop: () => Promise.resolve('SIGTERM'),
  }
}

describe('kubelab main', () => {
  it('prints usage for no command and for help, exit 0', async () => {
    const io = captureIo()
    expect(await main([], io)).toBe(0)
    expect(io.stdout.join('\n')).toMatch(/Usage: kubelab <command>[\s\S]*\bapp\b[\s\S]*\bserve\b[\s\S]*\bversion\b/)
    const io2 = captureIo()
    expect(await main(['help', 'serve'], io2)).toBe(0)
    expect(io2.stdout.join('\n')).toContain('kubelab serve [--port P]')
  })

  it('rejects an unknown command with usage and exit 2', async () => {
    const io = captureIo()
    expect(await main(['frobnicate'], io)).toBe(2)
    expect(io.stderr.join('\n')).toMatch(/unknown command frobnicate[\s\S]*Usage: kubelab/)
    expect(io.stdout).toEqual([])
  })

  it('prints the package version', async () => {
    const io = captureIo()
    expect(await main(['version'], io)).toBe(0)
    expect(io.stdout[0]).toMatch(/^kubelab \d+\.\d+\.\d+ \(node v\d+/)
  })

  it('rejects bad serve/app flags with exit 2 before doing anything', async () => {
    for (const argv of [
      ['serve', '--port', 'http'],
      ['serve', '--bogus'],
      ['serve', 'extra'],
      ['app', '--port=70000'],
    ]) {
      const io = captureIo()
      expect(await main(argv, io)).toBe(2)
      expect(io.stderr.join('\n')).toMatch(/kubelab (serve|app):/)
    }
  })
})

describe('parseArgs', () => {
  it('handles --flag value, --flag=value, booleans and positionals', () => {
    const r = parseArgs(['--port', '80', 'x', '--host=::1', '--verbose', '--', '--port'], {
      port: 'string',
      host: 'string',
      verbose: 'boolean',
    })
    expect(r).toEqual({ ok: true, value: { flags: { port: '80', host: '::1', verbose: true }, positional: ['x', '--port'] } })
    expect(parseArgs(['--port'], { port: 'string' })).toEqual({ ok: false, error: '--port needs a value' })
    expect(parseArgs(['--verbose=1'], { verbose: 'boolean' })).toEqual({ ok: false, error: '--verbose takes no value' })
    expect(parseArgs(['--toString'], {})).toEqual({ ok: false, error: 'unknown flag --toString' })
    expect(parsePort('0')).toBe(0)
    expect(parsePort('65535')).toBe(65535)
    expect(parsePort('65536')).toBeNull()
    expect(parsePort('-1')).toBeNull()
  })
})

describe('build staleness', () => {
  let root: string
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'kubelab-stale-'))
    await mkdir(join(root, 'src-renderer', 'src'), { recursive: true })
    await writeFile(join(root, 'src-renderer', 'src', 'App.vue'), '<template />')
  })
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('asks for a build when an output is missing or older than a source', async () => {
    expect(staleReason(root)).toBe('out/main/index.js is missing')
    const past = new Date(Date.now() - 60_000)
    await utimes(join(root, 'src-renderer', 'src', 'App.vue'), past, past)
    for (const rel of buildOutputs) {
      await mkdir(join(root, rel, '..'), { recursive: true })
      await writeFile(join(root, rel), '')
    }
    expect(staleReason(root)).toBeNull()
    const future = new Date(Date.now() + 60_000)
    await utimes(join(root, 'src-renderer', 'src', 'App.vue'), future, future)
    expect(staleReason(root)).toBe('src-renderer/src/App.vue changed since the last build')
  })
})

describe('findElectron', () => {
  it('explains a missing binary in one line (the first start fetches it)', () => {
    const found = findElectron(join(import.meta.dirname, '..', '..'), { DISPLAY: ':0' }, 'linux')
    // This repository never downloads the Electron binary; if someone installs it, the lookup
    // must then succeed instead.
    if (found.ok) expect(found.path).toMatch(/electron/)
    else expect(found.reason).toMatch(/^the Electron binary is (not installed|missing)/)
  })

  it('explains a missing display on Linux', async () => {
    const root = await mkdtemp(join(tmpdir(), 'kubelab-electron-'))
    try {
      // A stand-in electron package whose "binary" exists.
      await mkdir(join(root, 'node_modules', 'electron'), { recursive: true })
      await writeFile(join(root, 'package.json'), '{}')
      await writeFile(join(root, 'fake-electron'), '')
      await writeFile(join(root, 'node_modules', 'electron', 'index.js'), `module.exports = ${JSON.stringify(join(root, 'fake-electron'))};`)
      expect(findElectron(root, {}, 'linux')).toEqual({
        ok: false,
        kind: 'no-display',
        reason: 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)',
      })
      expect(findElectron(root, { WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toEqual({
        ok: true,
        path: join(root, 'fake-electron'),
      })
      expect(findElectron(root, {}, 'darwin').ok).toBe(true)
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
