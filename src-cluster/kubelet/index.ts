// The kubelet: pods on containerd through the CRI.
export { Kubelet, type KubeletOptions } from './kubelet'
export { CriClient, CriError, isCriNotFound } from './cri/client'
export { KUBELET_VERSION } from './node'
