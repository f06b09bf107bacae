// Calls to VBoxManage: LANG=C so messages are the English ones we match, failure detected by
// exit code OR "VBoxManage: error:" on stderr, transient failures retried 3 times 1 s apart,
// and calls for one VM serialized (concurrent sessions on a VM lock each other out).
import { spawnRunner, sleep as realSleep, type CommandResult, type CommandRunner } from '../multipass/run'
import { VBoxError, classifyVBox, isVBoxFailure } from './errors'
import { parseMachineReadable, parseVmList, startedSuccessfully } from './parse'

export const VBOX_ENV = { LANG: 'C', LC_ALL: 'C' } as const

export class VBoxManageCli {
  private readonly chains = new Map<string, Promise<unknown>>()

  constructor(
    readonly bin: string = process.env.KUBELAB_VBOXMANAGE_BIN ?? 'VBoxManage',
    private readonly runner: CommandRunner = spawnRunner,
    private readonly sleep: (ms: number) => Promise<void> = realSleep,
    private readonly retryDelayMs = 1000,
  ) {}

  /** Runs once; never throws. */
  raw(args: readonly string[]): Promise<CommandResult> {
    return this.runner(this.bin, args, { env: VBOX_ENV })
  }

  /** Runs, retrying transient failures; throws VBoxError on failure. `vm` serializes per machine. */
  run(args: readonly string[], vm?: string): Promise<CommandResult> {
    const go = async () => {
      for (let attempt = 1; ; attempt++) {
        const r = await this.raw(args)
        if (!isVBoxFailure(r.code, r.stderr)) return r
        const failure = classifyVBox(r.code, r.stderr)
        if (!failure.transient || attempt >= 3) throw new VBoxError(args[0] ?? '', failure)
        await this.sleep(this.retryDelayMs)
      }
    }
    if (!vm) return go()
    const prev = this.chains.get(vm) ?? Promise.resolve()
    const next = prev.then(go, go)
    this.chains.set(
      vm,
      next.catch(() => undefined),
    )
    return next
  }

  /** showvminfo --machinereadable, or undefined when VirtualBox has no such VM. */
  async info(vm: string): Promise<Record<string, string> | undefined> {
    try {
      return parseMachineReadable((await this.run(['showvminfo', vm, '--machinereadable'], vm)).stdout)
    } catch (e) {
      if (e instanceof VBoxError && e.failure.kind === 'not-found') return undefined
      throw e
    }
  }

  async vms(running = false): Promise<{ name: string; uuid: string }[]> {
    return parseVmList((await this.run(['list', running ? 'runningvms' : 'vms'])).stdout)
  }

  /** startvm headless; exit 1 with "has been successfully started." is success. */
  async startvm(vm: string): Promise<void> {
    const args = ['startvm', vm, '--type', 'headless']
    const go = async () => {
      const r = await this.raw(args)
      if (startedSuccessfully(r.stdout, vm)) return r
      if (isVBoxFailure(r.code, r.stderr)) throw new VBoxError('startvm', classifyVBox(r.code, r.stderr))
      return r
    }
    const prev = this.chains.get(vm) ?? Promise.resolve()
    const next = prev.then(go, go)
    this.chains.set(
      vm,
      next.catch(() => undefined),
    )
    await next
  }
}
