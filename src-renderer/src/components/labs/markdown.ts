// Lab step text (markdown) to HTML, with Killercoda's action markers turned into buttons:
// `cmd`{{exec}} and fenced blocks closed with ```{{exec}} get Run (types the command into the
// lab terminal), {{exec interrupt}} sends Ctrl-C first, {{copy}} gets Copy, {{}} stays plain.
// Fenced shell blocks without a marker get Run too: in a lab, a shell block is a command to try.
// The output is NOT sanitized here (this module also runs in Node for tests); the view passes it
// through DOMPurify before it reaches the page. Buttons carry no handlers: the panel listens for
// clicks on [data-lab-action] and reads the command from the sibling <code>.
import { Marked, type Tokens, type TokenizerAndRendererExtension } from 'marked'

export type LabAction = 'exec' | 'interrupt' | 'copy' | 'plain'

/** Fenced blocks with these languages (or none) are commands; yaml, json, ... are files to read. */
const SHELL_LANGS = new Set(['', 'sh', 'bash', 'shell', 'console', 'plain', 'shell-session', 'zsh'])

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

export function actionOf(marker: string | undefined): LabAction {
  const m = (marker ?? '').trim()
  if (m === 'exec' || m === 'execute') return 'exec'
  if (m === 'exec interrupt' || m === 'execute interrupt') return 'interrupt'
  if (m === 'copy') return 'copy'
  return 'plain'
}

function button(action: LabAction): string {
  if (action === 'plain') return ''
  const label = action === 'copy' ? 'Copy' : 'Run'
  const title =
    action === 'copy' ? 'Copy to the clipboard' : action === 'interrupt' ? 'Stop what runs (Ctrl-C), then run this in the terminal' : 'Run this in the terminal'
  return `<button type="button" class="lab-action" data-lab-action="${action}" title="${title}">${action === 'copy' ? '' : '▶ '}${label}</button>`
}

interface ActionCode extends Tokens.Generic {
  type: 'labBlock' | 'labInline'
  text: string
  lang: string
  action: LabAction
}

const MARKER = /\{\{(exec(?: interrupt)?|execute(?: interrupt)?|copy|)\}\}/

const blockAction: TokenizerAndRendererExtension = {
  name: 'labBlock',
  level: 'block',
  start: (src) => src.match(/^ {0,3}(`{3,}|~{3,})/m)?.index,
  tokenizer(src): ActionCode | undefined {
    // A fence whose closing line carries a marker: ```lang\n...\n```{{exec}}
    const m = new RegExp(`^ {0,3}(\`{3,}|~{3,})([^\\n\`]*)\\n([\\s\\S]*?)\\n {0,3}\\1${MARKER.source}[ \\t]*(?:\\n+|$)`).exec(src)
    if (!m) return undefined
    return { type: 'labBlock', raw: m[0], text: m[3] ?? '', lang: (m[2] ?? '').trim(), action: actionOf(m[4]) }
  },
  renderer(token) {
    const t = token as ActionCode
    return codeBlock(t.text, t.lang, t.action)
  },
}

const inlineAction: TokenizerAndRendererExtension = {
  name: 'labInline',
  level: 'inline',
  start: (src) => src.match(/`[^`\n]+`\{\{/)?.index,
  tokenizer(src): ActionCode | undefined {
    const m = new RegExp(`^\`([^\`\\n]+)\`${MARKER.source}`).exec(src)
    if (!m) return undefined
    return { type: 'labInline', raw: m[0], text: m[1] ?? '', lang: '', action: actionOf(m[2]) }
  },
  renderer(token) {
    const t = token as ActionCode
    if (t.action === 'plain') return `<code>${escapeHtml(t.text)}</code>`
    return `<span class="lab-cmd inline" data-lab-cmd="${t.action}"><code>${escapeHtml(t.text)}</code>${button(t.action)}</span>`
  },
}

function codeBlock(text: string, lang: string, action: LabAction): string {
  const cls = lang ? ` class="language-${escapeHtml(lang.split(/\s+/)[0] ?? '')}"` : ''
  const pre = `<pre><code${cls}>${escapeHtml(text)}</code></pre>`
  if (action === 'plain') return pre
  return `<div class="lab-cmd block" data-lab-cmd="${action}">${pre}${button(action)}</div>`
}

const marked = new Marked({ gfm: true, breaks: false })
marked.use({
  extensions: [blockAction, inlineAction],
  renderer: {
    // Unmarked fences: shell blocks are runnable, others are shown as they are.
    code({ text, lang }: Tokens.Code): string {
      const l = (lang ?? '').trim()
      return codeBlock(text, l, SHELL_LANGS.has(l.split(/\s+/)[0] ?? '') ? 'exec' : 'plain')
    },
  },
})

/** Markdown to (unsanitized) HTML with lab action buttons. */
export function labMarkdownToHtml(md: string): string {
  return marked.parse(md, { async: false })
}

/** The text a Run button types: lines joined with Enter, a final Enter to run the last one. */
export function commandInput(command: string, action: LabAction): string {
  const body = command.replace(/\r?\n/g, '\r').replace(/\r+$/, '')
  return `${action === 'interrupt' ? '\x03' : ''}${body}\r`
}

/** `set -e`, `set -eu`, `set -o errexit`, `set -o nounset` and the like. */
const SETS_ERREXIT = /^\s*set\s+(-[a-zA-Z]*[eu][a-zA-Z]*|-o\s+(errexit|nounset))(\s|$)/

/**
 * A solution script as lines to type into an interactive shell: without comments (the shebang
 * too) and without `set -e`/`-u` (they would make the learner's shell exit at the first failing
 * command or unset variable).
 */
export function solutionForShell(script: string): string {
  return script
    .split(/\r?\n/)
    .filter((l) => !/^\s*#/.test(l) && !SETS_ERREXIT.test(l) && l.trim() !== '')
    .join('\n')
}

/**
 * A solution script as the panel shows it: the shell boilerplate at its top (shebang, `set -e`
 * and the like, blank lines) left out, comments and everything after kept as written.
 */
export function solutionForReading(script: string): string {
  const lines = script.split(/\r?\n/)
  let i = 0
  while (
    i < lines.length &&
    (lines[i]!.trim() === '' || /^#!/.test(lines[i]!) || SETS_ERREXIT.test(lines[i]!) || /^\s*set\s+-o\s+pipefail\s*$/.test(lines[i]!))
  )
    i++
  return lines.slice(i).join('\n').trimEnd()
}
