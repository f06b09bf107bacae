// Which Ingresses are ours: those naming an IngressClass whose controller is kubelab.dev/ingress,
// those using the legacy class annotation with such a class name, and those naming no class at
// all when the cluster's default IngressClass is ours. Others are ignored, as upstream does.
import { CONTROLLER_NAME, DEFAULT_CLASS_ANNOTATION, DEFAULT_CLASS_NAME, LEGACY_CLASS_ANNOTATION } from './types'
import type { IngressClassObj, IngressObj } from '../kit/objects'

export interface ClassView {
  /** Names of the IngressClasses implemented by this controller. */
  readonly ours: ReadonlySet<string>
  /** Whether Ingresses without a class are ours (the default class is one of ours). */
  readonly defaultIsOurs: boolean
}

export function classView(classes: readonly IngressClassObj[]): ClassView {
  const ours = new Set<string>()
  const defaults: { name: string; ours: boolean; created: string }[] = []
  for (const c of classes) {
    const name = c.metadata?.name ?? ''
    const isOurs = c.spec?.controller === CONTROLLER_NAME
    if (isOurs) ours.add(name)
    if (c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true') defaults.push({ name, ours: isOurs, created: c.metadata?.creationTimestamp ?? '' })
  }
  // Several defaults is a misconfiguration; the newest wins so the choice is deterministic and
  // a newly marked default takes over.
  defaults.sort((a, b) => (a.created === b.created ? a.name.localeCompare(b.name) : b.created.localeCompare(a.created)))
  return { ours, defaultIsOurs: defaults[0]?.ours ?? false }
}

export function isOurIngress(ing: IngressObj, view: ClassView): boolean {
  const named = ing.spec?.ingressClassName ?? ing.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION]
  if (named) return view.ours.has(named)
  return view.defaultIsOurs
}

/** The default IngressClass created when the cluster has none of that name. */
export function defaultIngressClass(): IngressClassObj {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: DEFAULT_CLASS_NAME, annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
    spec: { controller: CONTROLLER_NAME },
  }
}
