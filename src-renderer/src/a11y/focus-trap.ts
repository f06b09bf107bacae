// Focus management for dialogs (WAI-ARIA dialog pattern): while a dialog is open, Tab and
// Shift+Tab cycle through its controls only, Esc closes it, and on closing, focus goes back to
// the control that opened it. Dialogs can stack (the command palette over the wizard): only the
// top one handles keys.
import { onBeforeUnmount, onMounted, type Ref } from 'vue'

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])'

/** The controls Tab can reach inside `root`, in document order (hidden ones left out). */
export function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.getClientRects().length > 0 && !el.closest('[inert]'))
}

interface Trap {
  root: Ref<HTMLElement | null>
  onEscape: () => void
}
const stack: Trap[] = []

// The last control that had focus: a view may remove the opener before the dialog's setup runs
// (the wizard replaces the cluster list in the same render), so the opener is remembered here.
let lastFocused: HTMLElement | null = null
if (typeof document !== 'undefined')
  document.addEventListener('focusin', (ev) => {
    if (ev.target instanceof HTMLElement) lastFocused = ev.target
  })

function onKey(ev: KeyboardEvent): void {
  const top = stack[stack.length - 1]
  const root = top?.root.value
  if (!top || !root) return
  if (ev.key === 'Escape') {
    ev.preventDefault()
    ev.stopPropagation()
    top.onEscape()
    return
  }
  if (ev.key !== 'Tab') return
  const items = focusables(root)
  if (items.length === 0) {
    ev.preventDefault()
    return
  }
  const first = items[0]!
  const last = items[items.length - 1]!
  const active = document.activeElement as HTMLElement | null
  const inside = active !== null && root.contains(active)
  if (ev.shiftKey && (!inside || active === first)) {
    ev.preventDefault()
    last.focus()
  } else if (!ev.shiftKey && (!inside || active === last)) {
    ev.preventDefault()
    first.focus()
  }
}

/**
 * Traps focus in `root` while the calling component is mounted. `onEscape` runs on Esc (it
 * decides whether closing is allowed now). Focus moves to `initial` (or the first control) when
 * the dialog opens unless something inside already has it.
 */
export function useFocusTrap(
  root: Ref<HTMLElement | null>,
  opts: { onEscape: () => void; initial?: Ref<HTMLElement | null>; /** Where focus goes when the dialog was opened by a shortcut. */ returnTo?: string },
): void {
  // Set up while the opener still has focus (before the dialog renders).
  const active = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null
  const opener = active ?? lastFocused
  // A view may re-render the opener while the dialog is open (the wizard replaces the cluster
  // list): then the control with the same data-action gets focus back.
  const openerAction = opener?.getAttribute('data-action') ?? null
  const fallback = openerAction ? `[data-action="${CSS.escape(openerAction)}"]` : (opts.returnTo ?? null)
  const trap: Trap = { root, onEscape: opts.onEscape }
  onMounted(() => {
    if (stack.length === 0) document.addEventListener('keydown', onKey, true)
    stack.push(trap)
    const el = root.value
    if (el && !el.contains(document.activeElement)) (opts.initial?.value ?? focusables(el)[0] ?? el).focus()
  })
  onBeforeUnmount(() => {
    const i = stack.indexOf(trap)
    if (i >= 0) stack.splice(i, 1)
    if (stack.length === 0) document.removeEventListener('keydown', onKey, true)
    // Back to the opener once the dialog is gone (if it is still on the page).
    setTimeout(() => {
      const target = opener?.isConnected ? opener : fallback ? document.querySelector<HTMLElement>(fallback) : null
      target?.focus()
    }, 0)
  })
}
