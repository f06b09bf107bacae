// Contract for terminals (host shell, pod exec). Free of Node and DOM imports.

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface TerminalRequests {}

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface TerminalEvents {}

export const terminalRequestTable = {} as const satisfies Record<keyof TerminalRequests, true>;

export const terminalEventTable = {} as const satisfies Record<keyof TerminalEvents, true>;
