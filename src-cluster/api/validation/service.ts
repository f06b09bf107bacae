// Service rules (ports, type, clusterIP, node ports) with upstream's messages.
import { fieldErr, type FieldError } from '../errors'
import { checkName, isDNS1123Label, isDNS1123Subdomain, isIP, isLabelValue, isQualifiedName } from './names'
import { validPort, validPortOrName } from './pod'
import { child, items, str, strings, type Obj } from './util'

const TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']
const NODE_PORT_MIN = 30000
const NODE_PORT_MAX = 32767

export function validateService(svc: Obj): FieldError[] {
  const errs: FieldError[] = []
  const spec = child(svc, 'spec')
  if (!spec) return [fieldErr.required('spec')]
  const type = str(spec, 'type') ?? 'ClusterIP'
  if (!TYPES.includes(type)) errs.push(fieldErr.notSupported('spec.type', type, TYPES))
  const ports = items(spec, 'ports')
  if (type === 'ExternalName') {
    const ext = str(spec, 'externalName')
    if (!ext) errs.push(fieldErr.required('spec.externalName'))
    else errs.push(...checkName('spec.externalName', ext.replace(/\.$/, ''), isDNS1123Subdomain))
  } else if (ports.length === 0 && str(spec, 'clusterIP') !== 'None') {
    errs.push(fieldErr.required('spec.ports'))
  }
  const names = new Set<string>()
  const keys = new Set<string>()
  ports.forEach((p, i) => {
    const pp = `spec.ports[${i}]`
    const name = str(p, 'name')
    if (ports.length > 1 && !name) errs.push(fieldErr.required(`${pp}.name`))
    if (name) {
      errs.push(...checkName(`${pp}.name`, name, isDNS1123Label))
      if (names.has(name)) errs.push(fieldErr.duplicate(`${pp}.name`, name))
      names.add(name)
    }
    if (p.port === undefined) errs.push(fieldErr.required(`${pp}.port`))
    validPort(errs, `${pp}.port`, p.port)
    validPortOrName(errs, `${pp}.targetPort`, p.targetPort)
    const protocol = str(p, 'protocol') ?? 'TCP'
    if (!['TCP', 'UDP', 'SCTP'].includes(protocol)) errs.push(fieldErr.notSupported(`${pp}.protocol`, protocol, ['SCTP', 'TCP', 'UDP']))
    const key = `${String(p.port)}/${protocol}`
    if (keys.has(key)) errs.push(fieldErr.duplicate(pp, { port: p.port, protocol }))
    keys.add(key)
    const nodePort = p.nodePort
    if (typeof nodePort === 'number' && nodePort !== 0) {
      if (type !== 'NodePort' && type !== 'LoadBalancer') errs.push(fieldErr.forbidden(`${pp}.nodePort`, `may not be used when \`type\` is '${type}'`))
      else if (nodePort < NODE_PORT_MIN || nodePort > NODE_PORT_MAX) {
        errs.push(
          fieldErr.invalid(
            `${pp}.nodePort`,
            nodePort,
            `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}`,
          ),
        )
      }
    }
  })
  const clusterIP = str(spec, 'clusterIP')
  if (clusterIP && clusterIP !== 'None' && !isIP(clusterIP)) {
    errs.push(fieldErr.invalid('spec.clusterIPs[0]', clusterIP, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'))
  }
  if (type === 'ExternalName' && clusterIP && clusterIP !== '') errs.push(fieldErr.forbidden('spec.clusterIP', 'may not be set for ExternalName services'))
  strings(spec, 'externalIPs').forEach((ip, i) => {
    if (!isIP(ip)) errs.push(fieldErr.invalid(`spec.externalIPs[${i}]`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'))
  })
  const affinity = str(spec, 'sessionAffinity')
  if (affinity !== undefined && affinity !== 'None' && affinity !== 'ClientIP')
    errs.push(fieldErr.notSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']))
  for (const [k, v] of Object.entries(child(spec, 'selector') ?? {})) {
    for (const msg of isQualifiedName(k)) errs.push(fieldErr.invalid('spec.selector', k, msg))
    if (typeof v === 'string') for (const msg of isLabelValue(v)) errs.push(fieldErr.invalid('spec.selector', v, msg))
  }
  const etp = str(spec, 'externalTrafficPolicy')
  if (etp !== undefined && type !== 'NodePort' && type !== 'LoadBalancer' && etp !== '') {
    errs.push(fieldErr.invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'))
  }
  return errs
}
