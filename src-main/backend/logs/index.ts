// Pod, workload and control-plane logs for the desktop app.
export { createLogHandlers, type LogHandlers } from './handlers'
export { LogStreams, type LogStreamsDeps } from './streams'
export { LineSplitter, prefixLines } from './lines'
export { describeRefusal, podLogPath, streamPodLog } from './pod-log'
export { checkComponentFile, listComponentLogs, streamComponentLog, tailText } from './component-log'
