// What to try after a failed cluster operation, from the error's message. Most specific first;
// Retry/Delete advice always closes the list because it always applies.
import type { OperationKind } from '../../contract'

interface Rule {
  test: RegExp
  hint: (ctx: HintContext) => string
}

export interface HintContext {
  kind: OperationKind
  cluster: string
  provider: string | null
  /** The cluster's log folder. */
  logDir: string
}

const rules: Rule[] = [
  {
    test: /not available/i,
    hint: (c) => `Install or repair the ${c.provider ?? ''} provider as the message says, or pick another provider.`.replace('  ', ' '),
  },
  { test: /already exists/i, hint: (c) => `Pick another name, or delete the existing cluster ${c.cluster} first.` },
  { test: /invalid cluster name/i, hint: () => 'Use lowercase letters, digits and "-", starting and ending with a letter or digit.' },
  { test: /timed out|did not come up in time/i, hint: () => 'The machine may be busy: Retry (it resumes), or create the cluster with fewer workers.' },
  {
    test: /control plane exited|is not running/i,
    hint: (c) => `Read the control plane's log in ${c.logDir} (control-plane.log): its last lines say why it stopped.`,
  },
  {
    test: /EADDRINUSE|address already in use|port .* in use/i,
    hint: () => 'Another program holds the API server port: stop it, or delete this cluster and create it again (a new port is picked).',
  },
  { test: /memory|ENOMEM/i, hint: () => 'Close other programs, or choose fewer workers or less memory per node.' },
  { test: /ENOSPC|no space/i, hint: () => 'Free some disk space, then Retry.' },
  { test: /EACCES|permission denied/i, hint: (c) => `KubeLab cannot write its files: check the permissions of ${c.logDir} and its parent folders.` },
]

export function hintsFor(message: string, ctx: HintContext): string[] {
  const out: string[] = []
  for (const r of rules) if (r.test.test(message)) out.push(r.hint(ctx))
  if (ctx.kind === 'create') {
    out.push('Retry: creating resumes where it stopped.')
    out.push(`Delete the half-created cluster ${ctx.cluster} and start over.`)
  } else if (ctx.kind === 'start') {
    out.push(`Start ${ctx.cluster} again, or read the logs in ${ctx.logDir}.`)
  } else {
    out.push(`Try again; the logs are in ${ctx.logDir}.`)
  }
  return out
}
