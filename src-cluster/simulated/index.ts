// Simulated (hollow) nodes: kubelets that report pods Running without running containers.
export { SimulatedNodes, type SimulatedNodesOptions } from './fleet'
export { startControlServer, controlRequest, type ControlServer, type NodeControl, type ControlAddress } from './control-api'
export { kubeletServingTls } from './tls'
export { parseDurationMs } from './duration'
export { CPU_ANNOTATION, MEMORY_ANNOTATION } from './usage'
export { RUN_TIME_ANNOTATION, EXIT_CODE_ANNOTATION } from './pod-lifecycle'
export { KUBELET_VERSION, RUNTIME_VERSION } from './node-object'
