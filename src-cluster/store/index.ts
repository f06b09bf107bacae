// The embedded store: what etcd is to Kubernetes, inside our API server process.
export * from './types'
export { openStore, createMemoryStore, EmbeddedStore } from './store'
export type { StoreOptions, MemoryStoreOptions, RecoveryInfo, StoreStats } from './store'
export { lockDir, type ReleaseLock } from './dir-lock'
