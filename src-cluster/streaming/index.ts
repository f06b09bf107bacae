// Protocol code shared by the kubelet's streaming server and the API server's proxy.
export * from './channel'
export * from './spdy'
export { WebSocketDuplex } from './ws-duplex'
