import { describe, expect, it } from 'vitest'
import { CidrAllocator, parseCidr4, subnetAt, subnetIndex } from '../../src-cluster/controllers/core/cidr'

describe('node CIDR arithmetic', () => {
  it('splits 10.244.0.0/16 into /24s by index', () => {
    const c = parseCidr4('10.244.0.0/16')
    expect(subnetAt(c, 24, 0)).toBe('10.244.0.0/24')
    expect(subnetAt(c, 24, 3)).toBe('10.244.3.0/24')
    expect(subnetAt(c, 24, 255)).toBe('10.244.255.0/24')
    expect(() => subnetAt(c, 24, 256)).toThrow(/outside/)
    expect(subnetIndex(c, 24, '10.244.7.0/24')).toBe(7)
    expect(subnetIndex(c, 24, '10.245.0.0/24')).toBeUndefined()
    expect(subnetIndex(c, 24, '10.244.7.0/25')).toBeUndefined()
  })

  it('rejects malformed CIDRs with a message naming the value', () => {
    expect(() => parseCidr4('10.244.0.0')).toThrow(/10\.244\.0\.0/)
    expect(() => parseCidr4('300.1.1.1/8')).toThrow(/0-255/)
  })

  it('allocates lowest-free, skips occupied ranges and reuses released ones', () => {
    const a = new CidrAllocator('10.244.0.0/16', 24)
    expect(a.occupy('10.244.0.0/24')).toBe(true)
    expect(a.occupy('192.168.0.0/24')).toBe(false)
    expect(a.allocate()).toBe('10.244.1.0/24')
    expect(a.allocate()).toBe('10.244.2.0/24')
    a.release('10.244.1.0/24')
    expect(a.allocate()).toBe('10.244.1.0/24')
  })

  it('reports exhaustion', () => {
    const a = new CidrAllocator('10.0.0.0/30', 31)
    expect(a.allocate()).toBe('10.0.0.0/31')
    expect(a.allocate()).toBe('10.0.0.2/31')
    expect(a.allocate()).toBeUndefined()
  })
})
