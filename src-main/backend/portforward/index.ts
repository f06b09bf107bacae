// Port-forwards from 127.0.0.1 to pods and Services through the API server.
export { PortForwardService, type PortForwardServiceOptions } from './service'
export { createPortForwardHandlers, parseStart, type PortForwardHandlers } from './handlers'
export { dialPortForward, statusMessage, type ForwardTunnel, type ForwardStreams } from './tunnel'
export { resolveTarget, pickReadyPod, targetPortOn, type ForwardTarget } from './target'
