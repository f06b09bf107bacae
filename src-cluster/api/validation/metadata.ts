// ObjectMeta rules: name (syntax depends on the kind), labels, annotations, owner references.
import { fieldErr, type FieldError } from '../errors'
import { checkName, isDNS1123Label, isLabelValue, isQualifiedName, type NameCheck } from './names'
import { child, items, str, strings, type Obj } from './util'

const TOTAL_ANNOTATION_SIZE = 256 * 1024

export function validateMetadata(meta: Obj | undefined, nameCheck: NameCheck, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = []
  const name = str(meta, 'name')
  const generateName = str(meta, 'generateName')
  if (!name) {
    if (!generateName) errs.push(fieldErr.required('metadata.name', 'name or generateName is required'))
    else {
      // The generated name is the prefix plus random characters: the prefix must be valid once a suffix is added.
      const probe = generateName.replace(/-$/, '') + (generateName.endsWith('-') ? '-x' : 'x')
      for (const msg of nameCheck(probe.slice(0, 63))) errs.push(fieldErr.invalid('metadata.generateName', generateName, msg))
    }
  } else errs.push(...checkName('metadata.name', name, nameCheck))
  const ns = str(meta, 'namespace')
  if (ns) {
    if (!namespaced) errs.push(fieldErr.forbidden('metadata.namespace', 'not allowed on this type'))
    else errs.push(...checkName('metadata.namespace', ns, isDNS1123Label))
  }
  errs.push(...validateLabels(child(meta, 'labels'), 'metadata.labels'))
  errs.push(...validateAnnotations(child(meta, 'annotations'), 'metadata.annotations'))
  items(meta, 'ownerReferences').forEach((ref, i) => {
    const p = `metadata.ownerReferences[${i}]`
    for (const k of ['apiVersion', 'kind', 'name', 'uid']) if (!str(ref, k)) errs.push(fieldErr.invalid(`${p}.${k}`, ref[k] ?? '', `${k} must not be empty`))
  })
  if (items(meta, 'ownerReferences').filter((r) => r.controller === true).length > 1) {
    errs.push(fieldErr.invalid('metadata.ownerReferences', meta?.ownerReferences, 'Only one reference can have Controller set to true'))
  }
  strings(meta, 'finalizers').forEach((f, i) => errs.push(...checkName(`metadata.finalizers[${i}]`, f, isQualifiedName)))
  return errs
}

export function validateLabels(labels: Obj | undefined, path: string): FieldError[] {
  const errs: FieldError[] = []
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) errs.push(fieldErr.invalid(path, k, msg))
    if (typeof v === 'string') for (const msg of isLabelValue(v)) errs.push(fieldErr.invalid(path, v, msg))
  }
  return errs
}

export function validateAnnotations(annotations: Obj | undefined, path: string): FieldError[] {
  const errs: FieldError[] = []
  let size = 0
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(fieldErr.invalid(path, k, msg))
    size += Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 0)
  }
  if (size > TOTAL_ANNOTATION_SIZE) errs.push({ type: 'FieldValueTooLong', field: path, detail: `must have at most ${TOTAL_ANNOTATION_SIZE} bytes` })
  return errs
}
