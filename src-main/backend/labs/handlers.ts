// The labs requests of the contract, wired to LabService.
import type { LabRequests } from '../../contract'
import type { Handler } from '../handlers'
import { parseCatalogue, parseClusterRef, parseLabRef, parseSolution } from './params'
import type { LabService } from './service'

export type LabHandlers = { [K in keyof LabRequests]: Handler<K> }

export function createLabHandlers(labs: LabService): LabHandlers {
  return {
    'labs.catalogue': { parse: parseCatalogue, run: (p) => labs.catalogue(p.cluster) },
    'labs.start': { parse: parseLabRef('labs.start'), run: (p) => labs.start(p) },
    'labs.session': { parse: parseLabRef('labs.session'), run: (p) => labs.session(p) },
    'labs.active': { parse: parseClusterRef('labs.active'), run: (p) => labs.active(p.cluster) },
    'labs.check': { parse: parseLabRef('labs.check'), run: (p) => labs.check(p) },
    'labs.hint': { parse: parseLabRef('labs.hint'), run: (p) => labs.hint(p) },
    'labs.solution': { parse: parseSolution, run: (p) => labs.solution(p, p.run) },
    'labs.reset': { parse: parseLabRef('labs.reset'), run: (p) => labs.reset(p) },
    'labs.progress': { parse: parseClusterRef('labs.progress'), run: (p) => labs.progress(p.cluster) },
  }
}
