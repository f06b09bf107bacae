// The storage backends: the embedded store (what etcd is to Kubernetes, inside our API server
// process) and a real etcd v3 cluster.
export * from './types'
export { openStore, createMemoryStore, EmbeddedStore } from './store'
export type { StoreOptions, MemoryStoreOptions, RecoveryInfo, StoreStats } from './store'
export { lockDir, type ReleaseLock } from './dir-lock'
export { openEtcdStore, EtcdStore } from './etcd'
export type { EtcdStoreOptions, EtcdTls } from './etcd'
