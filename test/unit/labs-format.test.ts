// The lab loader and validator: defaults, every error naming the file and field, the catalogue
// in labs/ loading cleanly, and the Killercoda import (needs inferred, {{execute}} converted).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { importKillercoda, LabFormatError, loadCatalogue, loadLab, workersForImageId } from '../../src-main/lab-runner'

let dir: string
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kubelab-labfmt-'))))
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function write(rel: string, text: string): void {
  const p = join(dir, rel)
  mkdirSync(dirname(p), { recursive: true })
  writeFileSync(p, text)
}

function labDir(index: unknown, files: string[] = ['step1/text.md', 'step1/verify.sh']): string {
  for (const f of files) write(`lab/${f}`, '#\n')
  write('lab/index.json', JSON.stringify(index))
  return join(dir, 'lab')
}

const minimal = { title: 'T', details: { steps: [{ title: 'S', text: 'step1/text.md', verify: 'step1/verify.sh' }] } }

function issues(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(LabFormatError)
    return (e as Error).message
  }
  throw new Error('expected a LabFormatError')
}

describe('loadLab', () => {
  it('fills in defaults from a minimal Killercoda index', () => {
    const lab = loadLab(labDir(minimal))
    expect(lab).toMatchObject({ id: 'lab', title: 'T', level: 'beginner', minutes: 10, namespaces: [], setupTimeoutSeconds: 60 })
    expect(lab.needs).toEqual({ workers: 0, controlPlanes: 1, capabilities: [], images: [] })
    expect(lab.steps[0]).toMatchObject({ number: 1, hintAfter: 2, timeoutSeconds: 30, runOn: 'cp', hints: [] })
    expect(lab.steps[0]!.verify).toBe(join(dir, 'lab', 'step1', 'verify.sh'))
  })

  it('runs the cleanup script on cp unless kubelab.cleanupOn names another node', () => {
    expect(loadLab(labDir(minimal)).cleanupOn).toBe('cp')
    const lab = loadLab(labDir({ ...minimal, kubelab: { cleanup: 'cleanup.sh', cleanupOn: 'w1' } }, ['step1/text.md', 'step1/verify.sh', 'cleanup.sh']))
    expect(lab).toMatchObject({ cleanup: join(dir, 'lab', 'cleanup.sh'), cleanupOn: 'w1' })
    expect(issues(() => loadLab(labDir({ ...minimal, kubelab: { cleanupOn: 'worker-1' } })))).toContain(
      'kubelab.cleanupOn: must be cp (cp2, cp3 on a cluster with several control planes), w1, w2, ..., got "worker-1"',
    )
  })

  it('maps Killercoda imageids to worker counts', () => {
    expect(workersForImageId('kubernetes-kubeadm-2nodes')).toBe(1)
    expect(workersForImageId('kubernetes-kubeadm-1node')).toBe(0)
    expect(workersForImageId('ubuntu')).toBe(0)
    expect(loadLab(labDir({ ...minimal, backend: { imageid: 'kubernetes-kubeadm-2nodes' } })).needs.workers).toBe(1)
  })

  it('names the file and field of a missing script', () => {
    const msg = issues(() => loadLab(labDir({ ...minimal, details: { steps: [{ title: 'S', verify: 'step1/nope.sh' }] } })))
    expect(msg).toContain(`${join(dir, 'lab', 'index.json')}: details.steps[0].verify: file step1/nope.sh does not exist`)
  })

  it('reports every problem at once', () => {
    const msg = issues(() =>
      loadLab(
        labDir({
          title: 'T',
          details: { steps: [{ title: 'S', verify: 'step1/verify.sh', kubelab: { hintAfter: -1, runOn: 'master', hints: ['h.md'] } }] },
          kubelab: { level: 'expert', needs: ['gpu'], namespaces: ['kube-system'], formatVersion: 2 },
        }),
      ),
    )
    for (const part of [
      'kubelab.level: must be one of',
      'kubelab.needs[0]: unknown capability "gpu"',
      'kubelab.namespaces: kube-system is a system namespace',
      'kubelab.formatVersion',
      'details.steps[0].kubelab.hintAfter',
      'details.steps[0].kubelab.runOn',
      'details.steps[0].kubelab.hints[0]: file h.md does not exist',
    ])
      expect(msg).toContain(part)
  })

  it('rejects paths outside the lab folder, a missing verify, and no steps', () => {
    expect(issues(() => loadLab(labDir({ ...minimal, details: { steps: [{ title: 'S', verify: '../x.sh' }] } })))).toContain(
      'details.steps[0].verify: ../x.sh must be a path inside the lab folder',
    )
    expect(issues(() => loadLab(labDir({ ...minimal, details: { steps: [{ title: 'S' }] } })))).toContain('details.steps[0].verify: is required')
    expect(issues(() => loadLab(labDir({ title: 'T', details: { steps: [] } })))).toContain('details.steps: must be a non-empty array')
  })

  it('says when index.json is missing or not JSON', () => {
    expect(issues(() => loadLab(join(dir, 'none')))).toContain('index.json: (file): missing')
    write('bad/index.json', '{ nope')
    expect(issues(() => loadLab(join(dir, 'bad')))).toMatch(/index\.json: \(file\): not valid JSON/)
  })

  it('loads the whole catalogue in labs/ cleanly, each step with a solution and a hint', () => {
    const entries = loadCatalogue([join(import.meta.dirname, '..', '..', 'labs')])
    expect(entries.length).toBeGreaterThanOrEqual(15)
    for (const e of entries) {
      expect(e.error, e.dir).toBeUndefined()
      for (const s of e.lab!.steps) {
        expect(s.solution, `${e.lab!.id} step ${s.number}`).toBeDefined()
        expect(s.hints.length, `${e.lab!.id} step ${s.number}`).toBeGreaterThan(0)
      }
    }
    expect(new Set(entries.map((e) => e.lab!.id)).size).toBe(entries.length)
  })
})

describe('importKillercoda', () => {
  const fixture = join(import.meta.dirname, '..', 'fixtures', 'killercoda', 'first-pod')

  it('copies the scenario, adds the kubelab key and converts {{execute}}', () => {
    const r = importKillercoda(fixture, join(dir, 'labs'))
    expect(r.lab.id).toBe('first-pod')
    expect(r.lab.steps.map((s) => s.title)).toEqual(['Create a pod', 'Delete the pod'])
    expect(readFileSync(join(dir, 'labs', 'first-pod', 'step1', 'text.md'), 'utf8')).toContain('{{exec}}')
    const idx = JSON.parse(readFileSync(join(dir, 'labs', 'first-pod', 'index.json'), 'utf8')) as Record<string, unknown>
    expect(idx.kubelab).toEqual({ formatVersion: 1, id: 'first-pod', needs: [], images: ['nginx:alpine'] })
    // Stripping the kubelab key gives the original scenario back.
    const { kubelab: _k, ...rest } = idx
    expect(rest).toEqual(JSON.parse(readFileSync(join(fixture, 'index.json'), 'utf8')))
  })

  it('infers needs from what the scripts do, and refuses to overwrite', () => {
    write('sc/index.json', JSON.stringify({ title: 'X', details: { steps: [{ title: 'a', verify: 'v.sh', background: 'b.sh' }] } }))
    write('sc/v.sh', 'kubectl exec -n dev web -- cat /x\n')
    write('sc/b.sh', 'systemctl stop kubelet\n')
    const r = importKillercoda(join(dir, 'sc'), join(dir, 'labs'), { id: 'svc' })
    expect(r.lab.needs.capabilities).toEqual(['node-ssh', 'runtime'])
    expect(r.inferred.map((i) => i.because)).toEqual(['b.sh manages node services or packages', 'v.sh uses kubectl exec/logs/attach/port-forward/cp'])
    expect(() => importKillercoda(join(dir, 'sc'), join(dir, 'labs'), { id: 'svc' })).toThrow(/already in/)
  })

  it('leaves nothing behind when the scenario does not validate', () => {
    write('broken/index.json', JSON.stringify({ title: 'X', details: { steps: [{ title: 'a', verify: 'missing.sh' }] } }))
    expect(() => importKillercoda(join(dir, 'broken'), join(dir, 'labs'))).toThrow(/details\.steps\[0\]\.verify: file missing\.sh does not exist/)
    expect(loadCatalogue([join(dir, 'labs')])).toEqual([])
  })
})
