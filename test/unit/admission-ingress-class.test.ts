import { describe, expect, it } from 'vitest'
import type { Ingress } from 'kubernetes-types/networking/v1'
import { defaultIngressClassAdmission } from '../../src-cluster/apiserver/admission/default-ingress-class'

const cls = (name: string, isDefault: boolean, created = '2026-01-01T00:00:00Z') => ({
  metadata: {
    name,
    creationTimestamp: created,
    annotations: (isDefault ? { 'ingressclass.kubernetes.io/is-default-class': 'true' } : {}) as Record<string, string>,
  },
  spec: { controller: `example.com/${name}` },
})

describe('DefaultIngressClass admission', () => {
  it('gives a class-less Ingress the default class, the newest when several are default', () => {
    const ing = defaultIngressClassAdmission<Ingress>({ metadata: { name: 'web' }, spec: {} }, [
      cls('other', false),
      cls('kubelab', true),
      cls('newer', true, '2026-02-01T00:00:00Z'),
    ])
    expect(ing.spec?.ingressClassName).toBe('newer')
  })
  it('keeps a named class, honours the legacy annotation, and does nothing without a default', () => {
    expect(defaultIngressClassAdmission<Ingress>({ spec: { ingressClassName: 'other' } }, [cls('kubelab', true)]).spec?.ingressClassName).toBe('other')
    expect(
      defaultIngressClassAdmission<Ingress>({ metadata: { annotations: { 'kubernetes.io/ingress.class': 'nginx' } }, spec: {} }, [cls('kubelab', true)]).spec
        ?.ingressClassName,
    ).toBeUndefined()
    expect(defaultIngressClassAdmission<Ingress>({ spec: {} }, [cls('kubelab', false)]).spec?.ingressClassName).toBeUndefined()
  })
})
