// Where labs come from: the catalogue shipped in the project's labs/ folder, then labs the
// user imported into ~/.kubelab/labs/ (an imported id shadows nothing: ids must be unique).
import { join } from 'node:path'
import { loadCatalogue } from './load'
import type { Lab } from './types'

export function catalogueRoots(projectRoot: string, home: string): string[] {
  return [join(projectRoot, 'labs'), join(home, 'labs')]
}

export function findLab(roots: readonly string[], id: string): Lab {
  const all = loadCatalogue(roots)
  const hit = all.find((e) => e.lab?.id === id)
  if (hit?.lab) return hit.lab
  const broken = all.find((e) => e.dir.endsWith(`/${id}`) && e.error)
  if (broken) throw new Error(`lab ${id} does not load:\n${broken.error}`)
  throw new Error(`no lab ${id} in ${roots.join(' or ')}; see: kubelab lab list`)
}
