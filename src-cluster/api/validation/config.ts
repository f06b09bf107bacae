// ConfigMap and Secret rules: key syntax, total size, Secret type-specific keys.
import { fieldErr, type FieldError } from '../errors'
import { isConfigMapKey } from './names'
import { child, str, stringMap, type Obj } from './util'

const MAX_SIZE = 1024 * 1024

function validateKeys(maps: [string, Obj | undefined][], decoded: (k: string, v: unknown) => number): FieldError[] {
  const errs: FieldError[] = []
  const seen = new Map<string, string>()
  let total = 0
  for (const [mapName, m] of maps) {
    for (const [k, v] of Object.entries(m ?? {})) {
      for (const msg of isConfigMapKey(k)) errs.push(fieldErr.invalid(`${mapName}[${k}]`, k, msg))
      const other = seen.get(k)
      if (other) errs.push(fieldErr.invalid(`${mapName}[${k}]`, k, `duplicate of key present in ${other}`))
      seen.set(k, mapName)
      total += decoded(mapName, v)
    }
  }
  if (total > MAX_SIZE) errs.push({ type: 'FieldValueTooLong', field: maps.length > 1 ? '' : maps[0][0], detail: `must have at most ${MAX_SIZE} bytes` })
  return errs
}

export function validateConfigMap(cm: Obj): FieldError[] {
  return validateKeys(
    [
      ['data', child(cm, 'data')],
      ['binaryData', child(cm, 'binaryData')],
    ],
    (map, v) => (typeof v !== 'string' ? 0 : map === 'binaryData' ? Buffer.from(v, 'base64').length : Buffer.byteLength(v)),
  ).map((e) => (e.field === '' ? { ...e, field: 'data' } : e))
}

export function validateSecret(secret: Obj): FieldError[] {
  const data = child(secret, 'data')
  const errs = validateKeys([['data', data]], (_m, v) => (typeof v === 'string' ? Buffer.from(v, 'base64').length : 0))
  const type = str(secret, 'type') ?? 'Opaque'
  const keys = new Set(Object.keys(data ?? {}))
  // stringData is folded into data by the server; accept keys from either.
  for (const k of Object.keys(child(secret, 'stringData') ?? {})) keys.add(k)
  const need = (k: string): void => {
    if (!keys.has(k)) errs.push(fieldErr.required(`data[${k}]`))
  }
  switch (type) {
    case 'kubernetes.io/tls':
      need('tls.crt')
      need('tls.key')
      break
    case 'kubernetes.io/dockerconfigjson': {
      need('.dockerconfigjson')
      const raw = stringMap(secret, 'data')['.dockerconfigjson']
      if (raw !== undefined) {
        try {
          JSON.parse(Buffer.from(raw, 'base64').toString('utf8'))
        } catch (e) {
          errs.push(fieldErr.invalid('data[.dockerconfigjson]', '<secret contents redacted>', (e as Error).message))
        }
      }
      break
    }
    case 'kubernetes.io/dockercfg':
      need('.dockercfg')
      break
    case 'kubernetes.io/basic-auth':
      if (!keys.has('username') && !keys.has('password')) {
        errs.push(fieldErr.required('data[username]'), fieldErr.required('data[password]'))
      }
      break
    case 'kubernetes.io/ssh-auth':
      need('ssh-privatekey')
      break
    case 'kubernetes.io/service-account-token': {
      const ann = child(child(secret, 'metadata'), 'annotations')
      if (!ann || !ann['kubernetes.io/service-account.name']) errs.push(fieldErr.required('metadata.annotations[kubernetes.io/service-account.name]'))
      break
    }
  }
  return errs
}
