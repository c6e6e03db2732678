import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Hex, createTestClient, http } from 'viem'
import { getBlock } from 'viem/actions'
import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest'
import { isRunning } from '../../src/sessions/stores/fileLock.js'

/** Lock file that serialises test files on the shared chain (one per chain, named by its port). */
export function chainLockPath(rpcUrl: string): string {
  return join(tmpdir(), `keyleash-chain-${new URL(rpcUrl).port}.lock`)
}

async function acquire(path: string): Promise<void> {
  for (;;) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' })
      return
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    // A holder that died (crashed worker) would block the run forever; take its lock over.
    const holder = Number(readFileSafe(path))
    if (holder > 0 && !isRunning(holder)) rmSync(path, { force: true })
    else await new Promise((r) => setTimeout(r, 20))
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

/**
 * Isolates this test file on the run's shared anvil.
 *
 * `evm_revert` is global to the chain, so two files snapshotting at once would undo each other's
 * state. Files that use the chain therefore take a lock for their whole duration (files that do not
 * still run in parallel), revert to the file's starting snapshot at the end, and revert after each
 * test so tests do not see each other's transactions. Call it at the top of the file, before any
 * `beforeAll` that deploys, so deployments happen inside the lock.
 *
 * `beforeSnapshot` runs inside the lock before the file's snapshot: what it leaves on the chain is
 * never reverted, so later files find it (deploy-once state, such as MetaMask's framework).
 *
 * @example
 * const chain = useSharedChain()
 * beforeAll(async () => { token = await deployDemoToken(...) }) // kept for the whole file
 * test('…', async () => { … }) // reverted after the test
 */
export function useSharedChain(options: { beforeSnapshot?: (rpcUrl: string) => Promise<void> } = {}): { rpcUrl: string; testClient: ReturnType<typeof makeTestClient> } {
  const rpcUrl = inject('rpcUrl')
  const testClient = makeTestClient(rpcUrl)
  const lock = chainLockPath(rpcUrl)
  let fileSnapshot: Hex | undefined
  let testSnapshot: Hex | undefined

  beforeAll(async () => {
    await acquire(lock)
    await options.beforeSnapshot?.(rpcUrl)
    fileSnapshot = await testClient.snapshot()
  }, 120_000)
  afterAll(async () => {
    try {
      if (fileSnapshot !== undefined) await testClient.revert({ id: fileSnapshot })
    } finally {
      rmSync(lock, { force: true })
    }
  })
  beforeEach(async () => {
    testSnapshot = await testClient.snapshot()
  })
  afterEach(async () => {
    if (testSnapshot !== undefined) await testClient.revert({ id: testSnapshot })
  })
  return { rpcUrl, testClient }
}

function makeTestClient(rpcUrl: string) {
  return createTestClient({ mode: 'anvil', transport: http(rpcUrl) })
}

/**
 * Brings the chain's clock up to the system's (never back): Openfort's SDK dates a session's
 * `validAfter` by the system clock and its accounts check it, while each test's revert sets the
 * chain back to the snapshot's time.
 *
 * @example
 * beforeEach(() => catchUpWithSystemClock(testClient))
 */
export async function catchUpWithSystemClock(testClient: ReturnType<typeof makeTestClient>): Promise<void> {
  const chain = Number((await getBlock(testClient, { blockTag: 'latest' })).timestamp)
  // Rounded up: anvil dates the next blocks from this one as the wall clock moves, so a floor left
  // them up to a second behind a `validAfter` the SDK took from the clock a moment later (KeyNotValidNow).
  await testClient.setNextBlockTimestamp({ timestamp: BigInt(Math.max(Math.ceil(Date.now() / 1000), chain + 1)) })
  await testClient.mine({ blocks: 1 })
}
