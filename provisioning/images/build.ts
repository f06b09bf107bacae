// Writes an OCI image layout tarball (oci-layout, index.json, blobs/sha256/...) with one
// uncompressed layer. `ctr images import` and `kubelab image load` read exactly this format.
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { pack } from 'tar-stream'
import { buildLayer, entriesFromDir, type RootfsEntry } from './layer'

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
} as const

export interface ImageSpec {
  /** Full reference, e.g. kubelab.local/busybox:1 (containerd stores it under this name). */
  name: string
  /** A host directory to copy, or the entries of the filesystem. */
  rootfs: string | RootfsEntry[]
  entrypoint?: string[]
  cmd?: string[]
  env?: string[]
  workdir?: string
  /** Ports like "80/tcp". */
  exposedPorts?: string[]
  user?: string
  labels?: Record<string, string>
}

export interface BuiltImage {
  name: string
  /** The tarball bytes. */
  tarball: Buffer
  manifestDigest: string
  configDigest: string
  /** Digest of the uncompressed layer (also its diff_id). */
  layerDigest: string
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`

export function ociArch(arch: string = process.arch): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' }
  const a = map[arch]
  if (!a) throw new Error(`image builder: no OCI architecture for Node arch ${arch}`)
  return a
}

/** Checks a reference looks like registry/repo:tag (containerd rejects bare names on import). */
export function checkImageName(name: string): void {
  if (!/^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._/-][a-z0-9]+)*)+(:[\w][\w.-]{0,127})?$/.test(name)) {
    throw new Error(`image builder: ${JSON.stringify(name)} is not a full image reference; use e.g. kubelab.local/busybox:1`)
  }
}

export async function buildImage(spec: ImageSpec): Promise<BuiltImage> {
  checkImageName(spec.name)
  const entries = typeof spec.rootfs === 'string' ? entriesFromDir(spec.rootfs) : spec.rootfs
  const layer = await buildLayer(entries)
  const layerDigest = sha256(layer)
  const arch = ociArch()
  const config = Buffer.from(
    JSON.stringify({
      created: '2020-01-01T00:00:00Z',
      architecture: arch,
      os: 'linux',
      config: {
        ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
        ...(spec.cmd ? { Cmd: spec.cmd } : {}),
        Env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        ...(spec.workdir ? { WorkingDir: spec.workdir } : {}),
        ...(spec.user ? { User: spec.user } : {}),
        ...(spec.exposedPorts?.length ? { ExposedPorts: Object.fromEntries(spec.exposedPorts.map((p) => [p.includes('/') ? p : `${p}/tcp`, {}])) } : {}),
        ...(spec.labels ? { Labels: spec.labels } : {}),
      },
      rootfs: { type: 'layers', diff_ids: [layerDigest] },
      history: [{ created: '2020-01-01T00:00:00Z', created_by: 'kubelab image builder' }],
    }),
  )
  const configDigest = sha256(config)
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: { mediaType: MEDIA.config, digest: configDigest, size: config.length },
      layers: [{ mediaType: MEDIA.layer, digest: layerDigest, size: layer.length }],
    }),
  )
  const manifestDigest = sha256(manifest)
  const tag = spec.name.slice(spec.name.lastIndexOf('/') + 1).split(':')[1] ?? 'latest'
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.index,
      manifests: [
        {
          mediaType: MEDIA.manifest,
          digest: manifestDigest,
          size: manifest.length,
          platform: { architecture: arch, os: 'linux' },
          // containerd names the imported image from the first; OCI tools read the second
          annotations: { 'io.containerd.image.name': spec.name, 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  )
  const tarball = await packLayout([
    ['oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}')],
    ['index.json', index],
    [`blobs/sha256/${manifestDigest.slice(7)}`, manifest],
    [`blobs/sha256/${configDigest.slice(7)}`, config],
    [`blobs/sha256/${layerDigest.slice(7)}`, layer],
  ])
  return { name: spec.name, tarball, manifestDigest, configDigest, layerDigest }
}

/** Builds the image and writes its tarball to outPath (parent directories are created). */
export async function writeImage(spec: ImageSpec, outPath: string): Promise<BuiltImage> {
  const img = await buildImage(spec)
  mkdirSync(dirname(outPath), { recursive: true })
  writeFileSync(outPath, img.tarball)
  return img
}

async function packLayout(files: [string, Buffer][]): Promise<Buffer> {
  const p = pack()
  const chunks: Buffer[] = []
  p.on('data', (c: unknown) => void chunks.push(c as Buffer))
  const ended = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve())
    p.on('error', reject)
  })
  const mtime = new Date('2020-01-01T00:00:00Z')
  for (const dir of ['blobs/', 'blobs/sha256/']) p.entry({ name: dir, type: 'directory', mode: 0o755, mtime })
  for (const [name, body] of files) p.entry({ name, mode: 0o644, mtime, size: body.length }, body)
  p.finalize()
  await ended
  return Buffer.concat(chunks)
}
