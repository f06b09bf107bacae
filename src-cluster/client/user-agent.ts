// User-Agent strings shaped like upstream components' ("kubelet/v1.32.4 (linux/amd64) …"): the
// API server names the field manager of a write after the part before the first "/", so
// ownership reads kube-controller-manager, kube-scheduler, kubelet, as on any cluster.
const VERSION = 'v1.32.4-kubelab'

export function componentUserAgent(component: string, detail?: string): string {
  return `${component}/${VERSION} (${process.platform}/${process.arch}) kubelab${detail ? '/' + detail : ''}`
}

/** The field manager the API server derives from a User-Agent (the part before its first "/"). */
export function managerOfUserAgent(userAgent: string): string {
  return userAgent.split('/')[0] || 'unknown'
}
