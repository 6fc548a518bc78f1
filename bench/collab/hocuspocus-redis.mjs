// Hocuspocus 4.7.0 with @hocuspocus/extension-redis 4.7.0, as the benchmark
// peer for several instances: run one per port, all on the same Redis.
// usage: node hocuspocus-redis.mjs PORT REDIS_PORT
import { Server } from '@hocuspocus/server'
import { Redis } from '@hocuspocus/extension-redis'

const server = new Server({
  port: Number(process.argv[2] || 1234),
  address: '127.0.0.1',
  quiet: true,
  extensions: [new Redis({ host: '127.0.0.1', port: Number(process.argv[3] || 6379), prefix: 'hocuspocus-bench-' + (process.env.BENCH_RUN || '') })]
})
await server.listen()
console.log('READY')
