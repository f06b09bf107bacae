// Field ownership (metadata.managedFields) and server-side apply, called from the write handlers.
export {
  appliedTracker,
  applyWithOwnership,
  createByApply,
  LAST_APPLIED,
  updateTracker,
  type ApplyRequest,
  type FieldTracker,
  type WriterSpec,
} from './manager'
export { managerFromUserAgent, queryFlag, writeIdentity, type OptionsKind, type WriteIdentity } from './options'
export type { ManagedFieldsEntry } from './entries'
