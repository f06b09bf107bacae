// Contract for resource lists, details and actions (owned by the RESOURCES engineer).
// Add requests to `ResourceRequests` and the same names to `resourceRequestTable`; events to
// `ResourceEvents` and `resourceEventTable`. Free of Node and DOM imports.

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ResourceRequests {}

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ResourceEvents {}

export const resourceRequestTable = {} as const satisfies Record<keyof ResourceRequests, true>;

export const resourceEventTable = {} as const satisfies Record<keyof ResourceEvents, true>;
