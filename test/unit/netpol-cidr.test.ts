import { describe, expect, it } from 'vitest'
import { inIpBlock, subtractCidrs } from '../../src-cluster/netpol'

describe('ipBlock ranges', () => {
  it('keeps a range without exceptions, normalised', () => {
    expect(subtractCidrs('10.1.2.3/16')).toEqual(['10.1.0.0/16'])
  })

  it('takes one /24 out of a /16 as the covering halves', () => {
    const r = subtractCidrs('10.0.0.0/16', ['10.0.5.0/24'])
    expect(r).toEqual(['10.0.0.0/22', '10.0.4.0/24', '10.0.6.0/23', '10.0.8.0/21', '10.0.16.0/20', '10.0.32.0/19', '10.0.64.0/18', '10.0.128.0/17'])
    // the pieces add up to the /16 minus the /24
    const size = r.reduce((n, c) => n + 2 ** (32 - Number(c.split('/')[1])), 0)
    expect(size).toBe(65536 - 256)
  })

  it('takes several holes out, ignores holes outside and returns nothing when a hole covers all', () => {
    expect(subtractCidrs('192.168.0.0/30', ['192.168.0.0/32', '192.168.0.3/32', '10.0.0.0/8'])).toEqual(['192.168.0.1/32', '192.168.0.2/32'])
    expect(subtractCidrs('192.168.1.0/24', ['192.168.0.0/16'])).toEqual([])
    expect(subtractCidrs('0.0.0.0/0', ['128.0.0.0/1'])).toEqual(['0.0.0.0/1'])
  })

  it('rejects text that is not an IPv4 CIDR, naming it', () => {
    expect(() => subtractCidrs('10.0.0.0/33')).toThrow(/10\.0\.0\.0\/33/)
    expect(() => subtractCidrs('10.0.0.0/8', ['nope'])).toThrow(/"nope"/)
  })

  it('tells whether an address is in a block and outside its exceptions', () => {
    expect(inIpBlock('10.0.5.7', '10.0.0.0/16', ['10.0.5.0/24'])).toBe(false)
    expect(inIpBlock('10.0.6.7', '10.0.0.0/16', ['10.0.5.0/24'])).toBe(true)
    expect(inIpBlock('10.1.0.1', '10.0.0.0/16')).toBe(false)
  })
})
