// NodeName: a pod that names its node may only go there. (Pods created with spec.nodeName
// bypass the scheduler entirely; this keeps the framework complete for ones that do not.)
import type { FilterPlugin } from '../types'

export const REASON_NODE_NAME = "node(s) didn't match the requested node name"

export const nodeName: FilterPlugin = {
  name: 'NodeName',
  prepare({ pod }) {
    const want = pod.pod.spec?.nodeName
    if (!want) return undefined
    return (node) => (node.name === want ? undefined : [REASON_NODE_NAME])
  },
}
