// Object shapes and names the ingress controller works with: kubernetes-types objects usable
// wherever the client and informers expect a KubeObject, and the names that tie Ingresses,
// IngressClasses and controller instances to this controller.

/** spec.controller of the IngressClasses this controller implements. */
export const CONTROLLER_NAME = 'kubelab.dev/ingress'
/** The IngressClass made at start when absent. */
export const DEFAULT_CLASS_NAME = 'kubelab'
/** Upstream's annotation marking the class used by Ingresses that name none. */
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class'
/** The class annotation that predates spec.ingressClassName; still honoured upstream. */
export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class'
/** Label on the Leases through which controller instances announce their node address. */
export const PRESENCE_LABEL = 'kubelab.dev/component'
export const PRESENCE_LABEL_VALUE = 'ingress'
/** Annotation on a presence Lease: the address the instance serves on. */
export const ADDRESS_ANNOTATION = 'kubelab.dev/ingress-address'
/** Namespace holding the presence Leases. */
export const PRESENCE_NAMESPACE = 'kube-system'
