// The scheduler: framework, plugins, cache and queue (see scheduler.ts for the wiring).
export { Scheduler, startScheduler, DEFAULT_SCHEDULER_NAME, type SchedulerOptions, type SchedulerStats } from './scheduler'
export { SchedulerCache } from './cache'
export { SchedulingQueue, type QueueOptions, type QueuedPod, type ClusterEvent } from './queue'
export { Framework, numFeasibleNodesToFind, type FrameworkOptions, type ScheduleResult } from './framework'
export { FitError, fitErrorMessage, NO_NODES_AVAILABLE } from './diagnosis'
export { newPodInfo, podRequests, podKey } from './pod-info'
export { DEFAULT_FILTERS, DEFAULT_SCORES } from './plugins'
export type { PodInfo, Resources, FilterPlugin, ScorePlugin, CycleContext } from './types'
