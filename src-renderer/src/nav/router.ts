// Keeps the URL and the stores in step: a change in the app pushes a history entry (Back and
// Forward walk through views and objects), a changed URL (Back, Forward, a pasted link, a
// reload) sets the stores.
import { watch } from 'vue'
import { useNavStore } from '../stores/nav'
import { useResourcesStore } from '../stores/resources'
import { formatRoute, isNewPlace, parseRoute, topologyDefaults, type Route } from './route'

export function installRouter(): void {
  const nav = useNavStore()
  const resources = useResourcesStore()

  const current = (): Route => {
    const d = resources.detail
    const onDetail = nav.view === 'resources' && d !== null && d.params.cluster === nav.cluster
    return {
      view: nav.view,
      cluster: nav.cluster,
      type: nav.view === 'resources' ? (onDetail && d ? d.params.type : resources.type) : null,
      object: onDetail && d ? { namespace: d.params.namespace, name: d.params.name } : null,
      namespaces: nav.namespaces,
      topology: nav.view === 'topology' ? { ...nav.topology } : { ...topologyDefaults },
    }
  }

  const apply = (r: Route): void => {
    nav.view = r.view
    if (r.cluster !== null) nav.cluster = r.cluster
    nav.namespaces = r.namespaces
    if (r.view === 'topology') nav.topology = { ...r.topology }
    if (r.view !== 'resources') return
    if (r.type) resources.type = r.type
    const d = resources.detail
    if (r.object && r.type && nav.cluster) {
      const same =
        d && d.params.cluster === nav.cluster && d.params.type === r.type && d.params.namespace === r.object.namespace && d.params.name === r.object.name
      if (!same) void resources.openDetail({ cluster: nav.cluster, type: r.type, namespace: r.object.namespace, name: r.object.name })
    } else if (d) resources.closeDetail()
  }

  // The URL a reload or a shared link brings wins over the defaults.
  if (location.hash.length > 1) apply(parseRoute(location.hash))
  let shown = current()
  history.replaceState(history.state, '', formatRoute(shown))

  const fromUrl = (): void => {
    const r = parseRoute(location.hash)
    apply(r)
    shown = current()
    // A hand-typed URL may have been normalised (unknown view, defaults): show what is shown.
    const url = formatRoute(shown)
    if (url !== location.hash) history.replaceState(history.state, '', url)
  }
  window.addEventListener('popstate', fromUrl)
  window.addEventListener('hashchange', fromUrl)

  watch(current, (next) => {
    const url = formatRoute(next)
    if (url === location.hash) {
      shown = next
      return
    }
    if (isNewPlace(shown, next)) history.pushState(null, '', url)
    else history.replaceState(history.state, '', url)
    shown = next
  })
}
