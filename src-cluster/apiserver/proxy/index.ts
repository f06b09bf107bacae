// The API server's side of pods/log, pods/exec, pods/attach and pods/portforward: checks as
// upstream makes them, then the kubelet of the pod's node does the work.
export { handlePodLog } from './log'
export { handleUpgrade, handlePodExec, handlePodAttach, handlePodPortForward, matchPodStreamPath, type StreamingSubresource } from './upgrade'
export { pickContainer, checkLogAvailable, checkContainerRunning, kubeletFor } from './target'
export { handleHttpProxy, splitSchemeNamePort } from './http'
