// `kubelab-node ingress`: the ingress controller on one node, serving HTTP (and HTTPS) on the
// node's address for Ingresses of class `kubelab`.
import { resolve } from 'node:path'
import { defaultCertificate, IngressController } from '../ingress'
import { defineComponent } from './component'
import { KUBECONFIG_FLAG, portNumber } from './flags'

export const ingress = defineComponent({
  name: 'ingress',
  about: 'ingress controller: HTTP(S) routing to Services for Ingresses of class kubelab',
  flags: {
    kubeconfig: KUBECONFIG_FLAG,
    'node-name': { type: 'string', arg: 'NAME', required: true, help: 'the node this controller runs on (required)' },
    address: { type: 'string', arg: 'IP', required: true, help: 'the node address: listened on and published in Ingress status (required)' },
    'bind-address': { type: 'string', arg: 'IP', help: 'listen here instead of --address (e.g. 0.0.0.0)' },
    'http-port': { type: 'string', arg: 'N', default: '80', help: 'plain HTTP port (default 80)' },
    'https-port': { type: 'string', arg: 'N', default: '443', help: "HTTPS port, certificates from the Ingresses' TLS secrets (default 443; 0 = no HTTPS)" },
  },
  async run(values, ctx) {
    const node = values['node-name']
    const address = values.address
    const httpPort = portNumber('http-port', values['http-port'])
    const httpsPort = portNumber('https-port', values['https-port'])
    const client = ctx.client(resolve(values.kubeconfig), `kubelab-ingress/${node}`)
    const controller = new IngressController(client, {
      node,
      address,
      proxy: {
        host: values['bind-address'] ?? address,
        httpPort,
        ...(httpsPort ? { httpsPort, defaultCert: defaultCertificate() } : {}),
      },
      informers: ctx.informers(client),
      log: (l) => console.log(l),
    })
    const addrs = await controller.start().catch(async (e: unknown) => {
      await controller.stop().catch(() => undefined)
      client.close()
      throw e
    })
    console.log(
      `ingress: node ${node} serving http on ${addrs.http.address}:${addrs.http.port}${addrs.https ? `, https on ${addrs.https.address}:${addrs.https.port}` : ''} for Ingresses from ${client.config.server}`,
    )
    return async () => {
      console.log('ingress: withdrawing from Ingress status')
      await controller.stop()
      client.close()
    }
  },
})
