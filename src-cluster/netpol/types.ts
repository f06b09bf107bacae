// Object shapes the NetworkPolicy agent reads: kubernetes-types' NetworkPolicy, Pod and
// Namespace, usable wherever the client and informers expect a KubeObject.

export type Protocol = 'TCP' | 'UDP' | 'SCTP'
