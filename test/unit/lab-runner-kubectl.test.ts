// The lab runner's kubectl wrapper against a program that exits without reading its input:
// the result carries the exit code, and no EPIPE escapes as an unhandled error (in the app it
// would take the backend down).
import { describe, expect, it } from 'vitest'
import { kubectlFor } from '../../src-main/lab-runner/kubectl'

describe('kubectlFor', () => {
  it('reports the exit of a command that never reads its stdin, with no unhandled EPIPE', async () => {
    const unhandled: unknown[] = []
    const onError = (e: unknown): void => void unhandled.push(e)
    process.on('uncaughtException', onError)
    try {
      // /bin/false exits at once; 4 MiB of input cannot fit the pipe, so the write fails.
      const kubectl = kubectlFor('/nonexistent/kubeconfig', '/bin/false')
      const results = await Promise.all([1, 2, 3].map(() => kubectl(['apply', '-f', '-'], { input: 'x'.repeat(4 * 1024 * 1024) })))
      for (const r of results) expect(r.code).toBe(1)
      await new Promise((r) => setTimeout(r, 100))
    } finally {
      process.off('uncaughtException', onError)
    }
    expect(unhandled).toEqual([])
  })
})
