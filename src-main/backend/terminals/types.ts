// A running terminal as the terminal service drives it, whatever is on the other end.
export interface TerminalSession {
  write(data: string): void
  resize(cols: number, rows: number): void
  /** Ends the session; `onExit` still fires once. */
  close(): void
}

export interface SessionCallbacks {
  onData(data: string): void
  /** Connected (pod exec connects asynchronously; a pty is connected at once). */
  onOpen(): void
  /** `retryable` false: the other end refused for good (reconnecting would get the same answer). */
  onExit(exitCode: number | null, reason: string, retryable?: boolean): void
}
