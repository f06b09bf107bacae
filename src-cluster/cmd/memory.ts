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
 * Node.js flags of a `kubelab-node` process that runs the control plane (the API server,
 * scheduler or controller manager, alone or as parts of the node agent; the simulated provider's
 * control-plane process). A young generation of 8 MiB semi-spaces instead of V8's 16: at 100
 * nodes / 3000 pods (`bench/cluster.bench.ts`, two runs each on a shared 2-core machine) the
 * control plane's RSS was 331–333 MiB against 367–374 MiB, CPU per pod 9.9–11.9 ms against
 * 10.7–11.4 ms; 4 MiB saved no more (337–338 MiB) for 11.1–12.4 ms. On the command line because
 * V8 sizes the young generation when the process starts (the heap growth above is set by
 * tuneHeap() in every process instead).
 */
export const CONTROL_PLANE_PROCESS_FLAGS: readonly string[] = ['--max-semi-space-size=8']

/**
 * Node.js flags of a `kubelab-node` process that runs only node parts (kubelet, proxy, netpol,
 * ingress, dns; a worker's agent). Its live heap is ~20 MiB idle and ~23 MiB with 100 pods
 * Running, but a pod burst grew the young generation to its 2 × 8 MiB, kept committed while the
 * kubelet's 1 s relist and pod ticks keep allocating: 2 MiB semi-spaces keep it at 4 MiB. A
 * worker's agent (`bench/node-agent.bench.ts`, one run each at load 16–30): idle 99 → 83 MiB,
 * with 100 pods Running 116 → 105 MiB. Its scavenges are small and cheap.
 */
export const NODE_AGENT_PROCESS_FLAGS: readonly string[] = ['--max-semi-space-size=2']

/** What only the control plane runs: a process with any of these gets CONTROL_PLANE_PROCESS_FLAGS. */
const CONTROL_PLANE_COMPONENTS = new Set(['apiserver', 'scheduler', 'controller-manager', 'control-plane', 'simulated-nodes'])

/**
 * The Node.js flags every launcher (the node agents' systemd units on VMs, the local nodes'
 * supervisor, the benches) starts a `kubelab-node` process with, from the components it runs
 * (a component's name, or an agent's part names).
 */
export function nodeProcessFlags(components: readonly string[]): readonly string[] {
  return components.some((c) => CONTROL_PLANE_COMPONENTS.has(c)) ? CONTROL_PLANE_PROCESS_FLAGS : NODE_AGENT_PROCESS_FLAGS
}

/**
 * Environment every launcher gives a `kubelab-node` process (systemd units, the local nodes'
 * supervisor, the simulated provider's control-plane process, the node benches). glibc's malloc makes an arena per thread that allocates (up to
 * eight per core), each keeping its own freed memory: Node's libuv and V8 worker threads (TLS,
 * zlib, file reads, compilation) spread a node agent's malloc heap over several. Two arenas: a
 * worker's agent with 100 pods Running 105 → 97 MiB (`bench/node-agent.bench.ts`, with the flags
 * above; in a runtime-less loop of 100 failing pods, two runs each, 98–99 → 94–95 MiB). The
 * simulated control plane at 100 nodes / 3000 pods, with the memory trim (`bench/cluster.bench.ts`,
 * two alternated pairs at load 7–25): 159/159 → 146/149 MiB 15 s after the last pod, CPU per pod
 * within noise (4.3–4.8 → 4.3–5.0 ms).
 */
export const NODE_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' }
