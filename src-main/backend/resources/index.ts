// Resources for the desktop app: live lists (informers, batched), details, apply, actions.
export { createResourceBackend, type ResourceBackend, type ResourceBackendDeps, type ResourceHandlers } from './handlers'
export { RowBatcher } from './batcher'
export { ClusterConnections } from './connections'
export { fieldLine, problemsFromStatus, splitFieldPath } from './field-lines'
export { rowFor, columnsFor, toneOf } from './rows'
export { WatchHub } from './watch-hub'
