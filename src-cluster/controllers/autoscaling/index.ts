// Autoscaling: the horizontal pod autoscaler.
import type { Controller } from '../framework'
import { HPAController } from './hpa'

export { HPAController } from './hpa'
export * from './replicas'

export function autoscalingControllers(): Controller[] {
  return [new HPAController()]
}
