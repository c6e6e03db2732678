import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startDevChain, type DevChain } from '../../../src/devwallet/chain.js'
import { reachableBeyondLoopback, startBundler } from '../../../src/devwallet/erc4337/bundler.js'
import { isRunning } from '../../../src/sessions/stores/fileLock.js'

let chain: DevChain
beforeAll(async () => {
  chain = await startDevChain()
}, 20_000)
afterAll(async () => chain?.stop())

describe('startBundler', () => {
  test('default: alto answers on 127.0.0.1 with both EntryPoints, nothing answers beyond loopback, and stop() ends it', async () => {
    const bundler = await startBundler({ rpcUrl: chain.rpcUrl })
    try {
      expect(bundler.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const response = await fetch(bundler.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_supportedEntryPoints', params: [] }) })
      expect(((await response.json()) as { result: string[] }).result).toStrictEqual(['0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789', '0x0000000071727De22E5E9d8BAf0edAc6f37da032'])
      expect(await reachableBeyondLoopback(Number(new URL(bundler.url).port))).toStrictEqual([])
    } finally {
      await bundler.stop()
    }
    expect(isRunning(bundler.pid)).toBe(false)
  }, 90_000)

  test('behavior: a server on 0.0.0.0 (what alto asks for) is seen from this machine\'s other addresses: the check startBundler refuses on', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '0.0.0.0' }, resolve))
    try {
      const port = (server.address() as { port: number }).port
      expect((await reachableBeyondLoopback(port)).length).toBeGreaterThan(0)
    } finally {
      server.close()
    }
  })
})
