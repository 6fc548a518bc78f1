// Hocuspocus 4.7.0 with no extensions, as a benchmark peer.
// usage: node hocuspocus.mjs PORT
import { Server } from '@hocuspocus/server'

const server = new Server({ port: Number(process.argv[2] || 1234), address: '127.0.0.1', quiet: true })
await server.listen()
console.log('READY')
