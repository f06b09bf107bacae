// Cluster size presets by host RAM (PROVIDERS.md §5): what fits an 8 GB and a 16 GB laptop
// next to a browser and the app. Replace with measured KubeLab memory once benchmarks exist.

export interface NodeSize {
  readonly cpus: number
  /** Kubernetes quantity, e.g. "2Gi". */
  readonly memory: string
  readonly disk: string
}

export interface Preset {
  readonly id: 'tiny' | 'small' | 'standard' | 'large'
  readonly title: string
  readonly controlPlane: NodeSize
  readonly workers: number
  readonly worker: NodeSize
}

const GiB = 2 ** 30

export const PRESETS: readonly Preset[] = [
  {
    id: 'tiny',
    title: 'Below 8 GB: one small VM (or use the simulated provider)',
    controlPlane: { cpus: 1, memory: '1536Mi', disk: '10Gi' },
    workers: 0,
    worker: { cpus: 1, memory: '1Gi', disk: '10Gi' },
  },
  {
    id: 'small',
    title: '8 GB laptop: master 2 GB + one 1 GB worker',
    controlPlane: { cpus: 2, memory: '2Gi', disk: '15Gi' },
    workers: 1,
    worker: { cpus: 1, memory: '1Gi', disk: '15Gi' },
  },
  {
    id: 'standard',
    title: '16 GB laptop: master + two 2 GB workers',
    controlPlane: { cpus: 2, memory: '2Gi', disk: '20Gi' },
    workers: 2,
    worker: { cpus: 2, memory: '2Gi', disk: '20Gi' },
  },
  {
    id: 'large',
    title: '32 GB or more: master + three 2 GB workers',
    controlPlane: { cpus: 2, memory: '2Gi', disk: '20Gi' },
    workers: 3,
    worker: { cpus: 2, memory: '2Gi', disk: '20Gi' },
  },
]

/** The largest preset for a host with `totalMemory` bytes (total, not free: it is a default). */
export function presetFor(totalMemory: number): Preset {
  // Laptops sold as "8 GB" report a little less; allow 10% slack.
  const gb = totalMemory / GiB / 0.9
  if (gb >= 32) return PRESETS[3]!
  if (gb >= 16) return PRESETS[2]!
  if (gb >= 8) return PRESETS[1]!
  return PRESETS[0]!
}

/** The node list a preset describes, control plane first. */
export function presetNodes(preset: Preset): NodeSize[] {
  return [preset.controlPlane, ...Array.from({ length: preset.workers }, () => preset.worker)]
}
