import { describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { extract } from 'tar-stream'
import { buildImage, busyboxRootfs, buildLayer, checkImageName } from '../../provisioning/images'

async function untar(buf: Buffer): Promise<Map<string, { type: string; body: Buffer; mode: number; linkname?: string }>> {
  const out = new Map<string, { type: string; body: Buffer; mode: number; linkname?: string }>()
  const ex = extract()
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = []
      stream.on('data', (c: unknown) => void chunks.push(c as Buffer))
      stream.on('end', () => {
        out.set(h.name, { type: h.type ?? 'file', body: Buffer.concat(chunks), mode: h.mode ?? 0, linkname: h.linkname ?? undefined })
        next()
      })
      stream.resume()
    })
    ex.on('finish', resolve)
    ex.on('error', reject)
  })
  ex.end(buf)
  await done
  return out
}

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`

describe('OCI image builder', () => {
  it('writes an OCI layout whose index, manifest, config and layer agree by digest', async () => {
    const img = await buildImage({
      name: 'kubelab.local/test:2',
      rootfs: [
        { type: 'file', path: '/hello.txt', content: 'hi\n', mode: 0o600 },
        { type: 'symlink', path: 'etc/link', target: '../hello.txt' },
      ],
      entrypoint: ['/bin/sh'],
      cmd: ['-c', 'echo'],
      env: ['A=1'],
      workdir: '/work',
      exposedPorts: ['8080'],
    })
    const files = await untar(img.tarball)
    expect(JSON.parse(files.get('oci-layout')!.body.toString())).toEqual({ imageLayoutVersion: '1.0.0' })
    const index = JSON.parse(files.get('index.json')!.body.toString())
    expect(index.manifests).toHaveLength(1)
    expect(index.manifests[0].digest).toBe(img.manifestDigest)
    expect(index.manifests[0].annotations['io.containerd.image.name']).toBe('kubelab.local/test:2')
    expect(index.manifests[0].annotations['org.opencontainers.image.ref.name']).toBe('2')
    const manifestBody = files.get(`blobs/sha256/${img.manifestDigest.slice(7)}`)!.body
    expect(sha(manifestBody)).toBe(img.manifestDigest)
    const manifest = JSON.parse(manifestBody.toString())
    expect(manifest.config.digest).toBe(img.configDigest)
    expect(manifest.layers[0].digest).toBe(img.layerDigest)
    const config = JSON.parse(files.get(`blobs/sha256/${img.configDigest.slice(7)}`)!.body.toString())
    expect(config.config).toMatchObject({ Entrypoint: ['/bin/sh'], Cmd: ['-c', 'echo'], Env: ['A=1'], WorkingDir: '/work', ExposedPorts: { '8080/tcp': {} } })
    expect(config.rootfs.diff_ids).toEqual([img.layerDigest])
    const layerBody = files.get(`blobs/sha256/${img.layerDigest.slice(7)}`)!.body
    expect(sha(layerBody)).toBe(img.layerDigest)
    const layer = await untar(layerBody)
    expect(layer.get('hello.txt')!.body.toString()).toBe('hi\n')
    expect(layer.get('hello.txt')!.mode).toBe(0o600)
    expect(layer.get('etc/')!.type).toBe('directory')
    expect(layer.get('etc/link')).toMatchObject({ type: 'symlink', linkname: '../hello.txt' })
  })

  it('is reproducible: the same input gives the same digests', async () => {
    const spec = { name: 'kubelab.local/x:1', rootfs: [{ type: 'file' as const, path: 'a', content: 'x' }] }
    const [a, b] = [await buildImage(spec), await buildImage(spec)]
    expect(a.manifestDigest).toBe(b.manifestDigest)
    expect(a.tarball.equals(b.tarball)).toBe(true)
  })

  it('rejects bare names and paths escaping the root', async () => {
    expect(() => checkImageName('busybox')).toThrow(/full image reference/)
    expect(() => checkImageName('kubelab.local/busybox:1')).not.toThrow()
    await expect(buildLayer([{ type: 'file', path: '../etc/passwd', content: '' }])).rejects.toThrow(/invalid path/)
  })

  it.skipIf(!existsSync('/bin/busybox'))('lays out a busybox rootfs with applet symlinks, users and a web root', async () => {
    const layer = await untar(await buildLayer(busyboxRootfs()))
    expect(layer.get('bin/busybox')!.mode).toBe(0o755)
    for (const a of ['sh', 'httpd', 'wget', 'nc', 'sleep', 'cat']) expect(layer.get(`bin/${a}`)).toMatchObject({ type: 'symlink', linkname: 'busybox' })
    expect(layer.get('etc/passwd')!.body.toString()).toMatch(/^root:x:0:0:/)
    expect(layer.get('tmp/')!.mode).toBe(0o1777)
    expect(layer.get('var/www/index.html')!.body.toString()).toContain('KubeLab')
  })
})
