// How V8 sizes the heap of a kubelab-node process. By default V8 lets the old generation grow to
// about three times what survived the last full collection before collecting again; for a
// long-running component whose live heap is mostly caches, that is memory held for garbage. The
// one-process simulated control plane at 100 nodes / 3000 pods (`bench/cluster.bench.ts`)
// lived on ~115 MiB of heap with ~340–370 MiB committed (RSS 527–577 MiB); letting it grow by
// half of what survived committed ~230 MiB (RSS 359–366 MiB). Full collections run about four
// times as often (their marking is incremental and concurrent); the CPU per pod moved within the
// shared machine's noise (12.6–13.4 → 13.4–14.4 ms).
import { setFlagsFromString } from 'node:v8'

/** Old-generation growth after a full collection, in percent of what survived it. */
export const HEAP_GROWING_PERCENT = 50

/**
 * Sets the heap growth of this process unless its command line chose one (`node
 * --heap-growing-percent=N kubelab-node.js …`). V8 reads the flag whenever it computes the next
 * collection's limit, so setting it once the process runs works.
 */
export function tuneHeap(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent/.test(a))) return
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
}

/**
 * Node.js flags every `kubelab-node` process is started with: the simulated control plane, the
 * node agents' systemd units on VMs, the local nodes' supervisor, and the benches that measure
 * them. A young generation of 8 MiB semi-spaces instead of V8's 16: at 100 nodes / 3000 pods
 * (`bench/cluster.bench.ts`, two runs each on a shared 2-core machine) the control plane's RSS
 * was 331–333 MiB against 367–374 MiB, CPU per pod 9.9–11.9 ms against 10.7–11.4 ms; 4 MiB saved
 * no more (337–338 MiB) for 11.1–12.4 ms. On the command line because V8 sizes the young
 * generation when the process starts (the heap growth above is set by tuneHeap() in every
 * process instead).
 */
export const NODE_PROCESS_FLAGS: readonly string[] = ['--max-semi-space-size=8']
