// Upstream's DefaultIngressClass admission: a new Ingress that names no class (neither
// spec.ingressClassName nor the old kubernetes.io/ingress.class annotation) gets the default
// IngressClass, so `kubectl get ingress` shows which controller serves it.
import type { Ingress, IngressClass } from 'kubernetes-types/networking/v1'

export const DEFAULT_INGRESS_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class'
const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class'

/** The default class; with several, the newest (then by name), as upstream. */
export function defaultIngressClass(classes: readonly IngressClass[]): IngressClass | undefined {
  const defaults = classes.filter((c) => c.metadata?.annotations?.[DEFAULT_INGRESS_CLASS_ANNOTATION] === 'true')
  defaults.sort(
    (a, b) =>
      String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')) ||
      String(a.metadata?.name).localeCompare(String(b.metadata?.name)),
  )
  return defaults[0]
}

/** Sets spec.ingressClassName to the default class when the Ingress names none. Mutates and returns it. */
export function defaultIngressClassAdmission<I extends Ingress>(ing: I, classes: readonly IngressClass[]): I {
  if (ing.spec?.ingressClassName || ing.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION]) return ing
  const def = defaultIngressClass(classes)
  if (!def?.metadata?.name) return ing
  ing.spec = { ...(ing.spec ?? {}), ingressClassName: def.metadata.name }
  return ing
}
