import { createServer } from 'node:net'
import { createPublicClient, http } from 'viem'
import { describe, expect, inject, test } from 'vitest'
import { DevChainError, resolveAnvilBinary, startDevChain } from '../../src/devwallet/chain.js'

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
