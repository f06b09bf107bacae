// Typed calls to the `multipass` client. Each method runs one command, maps a failure to a
// MultipassError and parses JSON output. Launches are serialized process-wide: about ten
// parallel launches crashed multipassd (canonical/multipass#3336).
import { MultipassError, classifyMultipass } from './errors'
import { parseInfo, parseLaunched, parseList, parseVersion, type MpInfo, type MpListEntry, type MpVersion } from './parse'
import { spawnRunner, type CommandResult, type CommandRunner } from './run'

export interface LaunchSpec {
  readonly name: string
  /** "24.04", "noble", "lts", "file:///abs.img", ... */
  readonly image: string
  readonly cpus: number
  /** Multipass size strings: "2G", "512M". */
  readonly memory: string
  readonly disk: string
  readonly timeoutSeconds: number
  readonly cloudInit: string
}

let launchQueue: Promise<unknown> = Promise.resolve()

/** Runs `fn` after every launch queued before it has finished, whatever their outcome. */
function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const next = launchQueue.then(fn, fn)
  launchQueue = next.catch(() => undefined)
  return next
}

export class MultipassCli {
  constructor(
    readonly bin: string = process.env.KUBELAB_MULTIPASS_BIN ?? 'multipass',
    private readonly runner: CommandRunner = spawnRunner,
  ) {}

  /** Runs a command; never throws. */
  raw(args: readonly string[], input?: string): Promise<CommandResult> {
    return this.runner(this.bin, args, input === undefined ? {} : { input })
  }

  /** Runs a command and throws a MultipassError on a non-zero exit. */
  async run(args: readonly string[], input?: string): Promise<CommandResult> {
    const r = await this.raw(args, input)
    if (r.code !== 0) throw new MultipassError(args[0] ?? '', classifyMultipass(r.code, r.stderr))
    return r
  }

  async version(): Promise<MpVersion> {
    // `version` prints the client version and exits 0 even when the daemon is down.
    const r = await this.raw(['version', '--format', 'json'])
    if (r.code !== 0 && r.stdout.trim() === '') throw new MultipassError('version', classifyMultipass(r.code, r.stderr))
    return parseVersion(r.stdout)
  }

  async list(): Promise<MpListEntry[]> {
    return parseList((await this.run(['list', '--format', 'json'])).stdout)
  }

  async info(vm: string): Promise<MpInfo> {
    const parsed = parseInfo((await this.run(['info', vm, '--format', 'json'])).stdout)
    const found = parsed.instances.find((i) => i.name === vm)
    if (!found) throw new Error(`multipass info ${vm} returned no entry for ${vm}${parsed.errors.length ? `: ${parsed.errors.join('; ')}` : ''}`)
    return found
  }

  async getSetting(key: string): Promise<string> {
    return (await this.run(['get', key])).stdout.trim()
  }

  /** Launches one VM (queued behind any other launch). Returns the failure when Multipass gave up waiting but the VM exists. */
  launch(spec: LaunchSpec): Promise<{ launched: true } | { launched: false; error: MultipassError }> {
    return serialized(async () => {
      const args = [
        'launch',
        spec.image,
        '--name',
        spec.name,
        '--cpus',
        String(spec.cpus),
        '--memory',
        spec.memory,
        '--disk',
        spec.disk,
        '--timeout',
        String(spec.timeoutSeconds),
        '--cloud-init',
        '-',
      ]
      const r = await this.raw(args, spec.cloudInit)
      if (r.code === 0) {
        const name = parseLaunched(r.stdout)
        if (name !== undefined && name !== spec.name) throw new Error(`multipass launch reported "${name}" while KubeLab asked for "${spec.name}"`)
        return { launched: true as const }
      }
      const failure = classifyMultipass(r.code, r.stderr)
      const error = new MultipassError('launch', failure)
      if (failure.stillProvisioning) return { launched: false as const, error }
      throw error
    })
  }
}
