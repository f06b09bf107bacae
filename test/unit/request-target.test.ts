// The API server's request-target reading (src-cluster/apiserver/request-target.ts) gives the
// same path and query parameters as WHATWG URL parsing, which it skips for plain targets.
import { expect, test } from 'vitest'
import { requestTarget } from '../../src-cluster/apiserver/request-target'

function viaUrl(raw: string): [string, [string, string][]] | 'throws' {
  try {
    const u = new URL(raw, 'https://localhost')
    return [u.pathname, [...u.searchParams]]
  } catch {
    return 'throws'
  }
}

function viaTarget(raw: string): [string, [string, string][]] | 'throws' {
  try {
    const t = requestTarget(raw)
    return [t.pathname, [...t.searchParams]]
  } catch {
    return 'throws'
  }
}

test('reads every target as URL parsing does: plain ones, dot segments, escapes, odd characters', () => {
  const samples = [
    '/',
    '/api/v1/pods',
    '/api/v1/namespaces/default/pods?watch=1&fieldSelector=spec.nodeName%3Dn1&resourceVersion=0',
    '//x/y',
    '/x??a=b',
    '/x?',
    '/a/../b',
    '/a/%2e%2E/b',
    '/a/./b',
    '/a b',
    '/a?b c=d',
    "/a?x='1'",
    '/a?x=%zz&y=%41',
    '/a?x=1+2',
    '*',
    'http://h/p?q=1',
    '/a\\b',
    '/a#f?x',
    '/é?q=é',
    '/a?b=c#d',
  ]
  const alphabet = 'aZ09-._~!$&\'()*+,;=:@%/?#\\ é"<>`{}|^[]'
  let seed = 1
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  for (let i = 0; i < 5000; i++) {
    let s = '/'
    for (let n = Math.floor(rnd() * 12); n > 0; n--) s += alphabet[Math.floor(rnd() * alphabet.length)]
    samples.push(s)
  }
  for (const raw of samples) expect(viaTarget(raw), raw).toEqual(viaUrl(raw))
})
