// Contract for pod and control-plane logs (owned by the RESOURCES engineer).
// Add requests to `LogRequests` and the same names to `logRequestTable`; events to `LogEvents`
// and `logEventTable`. Free of Node and DOM imports.

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface LogRequests {}

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface LogEvents {}

export const logRequestTable = {} as const satisfies Record<keyof LogRequests, true>;

export const logEventTable = {} as const satisfies Record<keyof LogEvents, true>;
