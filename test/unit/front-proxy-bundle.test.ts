// The published requestheader CA bundle on a cluster with several API servers, each with its own
// front-proxy CA: every server adds its CA and keeps the others' (upstream's
// ClusterAuthenticationTrust controller), so an extension server trusts whichever proxied.
import { describe, expect, it } from 'vitest'
import { mergePemBundles } from '../../src-cluster/apiserver/aggregator'
import { createCA } from '../../src-cluster/kit/pki'

describe('mergePemBundles', () => {
  const a = createCA('front-proxy-ca').certPem
  const b = createCA('front-proxy-ca').certPem
  it('adds a second API server’s CA and keeps the first', () => {
    const both = mergePemBundles(a, b)
    expect(both).toContain(a.trim())
    expect(both).toContain(b.trim())
  })
  it('does not repeat a CA already published, whichever server writes last', () => {
    const both = mergePemBundles(mergePemBundles('', a), b)
    expect(mergePemBundles(both, a)).toBe(both)
    expect(mergePemBundles(both, b)).toBe(both)
    expect(mergePemBundles(both, b).match(/BEGIN CERTIFICATE/g)).toHaveLength(2)
  })
})
