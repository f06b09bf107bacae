// The kubelet's authenticated HTTPS server (logs, exec, attach, port-forward, usage summary).
export { startKubeletServer, parseStreamPath, streamOptions, KUBELET_API_USER } from './server'
export * from './types'
export { parseCriLogLine, formatLogTime, criLogTime, renderEntry, type CriLogEntry } from './cri-log'
export { parseLogQuery, streamLog, type LogOptions } from './logs'
