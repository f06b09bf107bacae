// `kubelab-node ingress`: the ingress controller on one node, serving HTTP (and HTTPS) on the
// node's address for Ingresses of class `kubelab`.
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { createClient, loadKubeconfig } from '../client'
import { defaultCertificate, IngressController } from '../ingress'

const HELP = `usage: kubelab-node ingress --kubeconfig FILE --node-name NAME --address IP [flags]

  --kubeconfig FILE       how to reach and authenticate to the API server (required)
  --node-name NAME        the node this controller runs on (required)
  --address IP            the node address: listened on and published in Ingress status (required)
  --bind-address IP       listen here instead of --address (e.g. 0.0.0.0)
  --http-port N           plain HTTP port (default 80)
  --https-port N          HTTPS port, certificates from the Ingresses' TLS secrets (default 443; 0 = no HTTPS)`

function port(flag: string, v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${flag} ${JSON.stringify(v)}: give a port number 0-65535`)
  return n
}

export async function runIngress(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      'node-name': { type: 'string' },
      address: { type: 'string' },
      'bind-address': { type: 'string' },
      'http-port': { type: 'string', default: '80' },
      'https-port': { type: 'string', default: '443' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    console.log(HELP)
    return
  }
  for (const f of ['kubeconfig', 'node-name', 'address'] as const) if (!values[f]) throw new Error(`--${f} is required\n\n${HELP}`)
  const node = values['node-name']!
  const address = values.address!
  const httpPort = port('http-port', values['http-port']!)
  const httpsPort = port('https-port', values['https-port']!)
  const cfg = loadKubeconfig(resolve(values.kubeconfig!))
  const client = createClient({ ...cfg, userAgent: `kubelab-ingress/${node}` })
  const controller = new IngressController(client, {
    node,
    address,
    proxy: {
      host: values['bind-address'] ?? address,
      httpPort,
      ...(httpsPort ? { httpsPort, defaultCert: defaultCertificate() } : {}),
    },
    log: (l) => console.log(l),
  })
  const addrs = await controller.start()
  console.log(
    `ingress: node ${node} serving http on ${addrs.http.address}:${addrs.http.port}${addrs.https ? `, https on ${addrs.https.address}:${addrs.https.port}` : ''} for Ingresses from ${cfg.server}`,
  )
  await new Promise<void>((done) => {
    const stop = (sig: string): void => {
      console.log(`ingress: ${sig}, withdrawing from Ingress status and shutting down`)
      controller.stop().then(
        () => {
          client.close()
          done()
        },
        (e: unknown) => {
          console.error(`ingress: shutdown failed: ${String(e)}`)
          process.exit(1)
        },
      )
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
}
