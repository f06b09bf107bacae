// Labs in the desktop app: the contract's labs.* requests over the shared lab runner.
export { LabService, type LabServiceOptions } from './service'
export { createLabHandlers, type LabHandlers } from './handlers'
export { labCard, labSession, needsOf, progressSummary } from './view'
