// Disruption: PodDisruptionBudget status (the eviction subresource lives in the API server).
import type { Controller } from '../framework'
import { DisruptionController } from './disruption'

export { DisruptionController, scaledValue, DELETION_TIMEOUT_MS } from './disruption'

export function disruptionControllers(): Controller[] {
  return [new DisruptionController()]
}
