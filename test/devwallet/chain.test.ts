import { createServer } from 'node:net'
import { createPublicClient, createTestClient, http, publicActions } from 'viem'
import { describe, expect, inject, test } from 'vitest'
import { DevChainError, keepUpWithSystemClock, resolveAnvilBinary, startDevChain } from '../../src/devwallet/chain.js'

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('startDevChain', () => {
  test('default: the shared chain from globalSetup answers eth_chainId', async () => {
    const client = createPublicClient({ transport: http(inject('rpcUrl')) })
    expect(await client.getChainId()).toBe(31337)
  })

  test('behavior: a second chain starts on its own port with the chosen chain id', async () => {
    const chain = await startDevChain({ chainId: 1337 })
    try {
      expect(chain.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(chain.rpcUrl).not.toBe(inject('rpcUrl'))
      expect(chain.chainId).toBe(1337)
      expect(await createPublicClient({ transport: http(chain.rpcUrl) }).getChainId()).toBe(1337)
    } finally {
      await chain.stop()
    }
  })

  test('behavior: stop() kills anvil, leaves no process, and may be called twice', async () => {
    const chain = await startDevChain()
    expect(isAlive(chain.pid)).toBe(true)
    await chain.stop()
    expect(isAlive(chain.pid)).toBe(false)
    await chain.stop()
    await expect(createPublicClient({ transport: http(chain.rpcUrl, { retryCount: 0 }) }).getChainId()).rejects.toThrow()
  })

  test('behavior: a chain whose clock runs behind the system clock is brought up to it, so a validAfter dated by the system clock holds at once', async () => {
    const chain = await startDevChain()
    try {
      const client = createTestClient({ mode: 'anvil', transport: http(chain.rpcUrl) }).extend(publicActions)
      // What a start across a second boundary leaves (an offset of -1), made certain.
      await fetch(chain.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'evm_setTime', params: [Math.floor(Date.now() / 1000) - 1] }) })
      await keepUpWithSystemClock(chain.rpcUrl)
      const validAfter = BigInt(Math.floor(Date.now() / 1000))
      await client.mine({ blocks: 1 })
      expect((await client.getBlock()).timestamp).toBeGreaterThanOrEqual(validAfter)
    } finally {
      await chain.stop()
    }
  })

  test('behavior: bringing a chain up to the system clock never puts it ahead of it', async () => {
    const chain = await startDevChain()
    try {
      const client = createTestClient({ mode: 'anvil', transport: http(chain.rpcUrl) }).extend(publicActions)
      await fetch(chain.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'evm_setTime', params: [Math.floor(Date.now() / 1000) - 1] }) })
      await keepUpWithSystemClock(chain.rpcUrl)
      await client.mine({ blocks: 1 })
      expect((await client.getBlock()).timestamp).toBeLessThanOrEqual(BigInt(Math.floor(Date.now() / 1000)))
    } finally {
      await chain.stop()
    }
  })

  test('args: port starts anvil on that port', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const a = s.address()
        s.close(() => resolve(typeof a === 'object' && a ? a.port : 0))
      })
    })
    const chain = await startDevChain({ port })
    try {
      expect(chain.rpcUrl).toBe(`http://127.0.0.1:${port}`)
    } finally {
      await chain.stop()
    }
  })

  test('error: a port already in use is a DevChainError that says what to do', async () => {
    const port = Number(new URL(inject('rpcUrl')).port)
    const error = await startDevChain({ port }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DevChainError)
    expect((error as Error).message.replace(String(port), '<port>')).toMatchInlineSnapshot(
      `"port <port> on 127.0.0.1 is already in use: pass another port, or none to let the OS choose"`,
    )
  })

  test('default: the anvil binary resolves from the installed platform package', () => {
    expect(resolveAnvilBinary()).toMatch(/@foundry-rs\/anvil-[a-z0-9]+-[a-z0-9]+\/bin\/anvil(\.exe)?$/)
  })
})
