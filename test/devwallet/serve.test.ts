import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { transform } from 'esbuild'
import { createPublicClient, http } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { demoNftAbi } from '../../src/devwallet/artifacts.js'
import { type ServedDevWallet, connectDevWallet, serveDevWallet } from '../../src/devwallet/serve.js'
import { withSessionKeys } from '../../src/provider.js'
import { useSharedChain } from '../utils/chain.js'
import { rejectionOf } from '../utils/rejection.js'
import { snippets } from '../utils/readmeSnippets.js'

/*
 * The development wallet served to other processes: the README's app block runs as real
 * processes (Node, the sources through tsx), one that grants, then two at once that find the
 * session in the file store and mint with its key, all against one served wallet.
 */

const { rpcUrl } = useSharedChain()
const root = join(import.meta.dirname, '../..')
const publicClient = createPublicClient({ transport: http(rpcUrl) })
const run = promisify(execFile)
let served: ServedDevWallet
let dir: string

beforeAll(async () => {
  served = await serveDevWallet({ rpcUrl })
  // Inside the repository, so that the app's imports (viem) resolve from its node_modules.
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true })
  dir = mkdtempSync(join(root, 'node_modules/.cache/keyleash-served-'))
}, 60_000)
afterAll(async () => {
  await served.close()
  rmSync(dir, { recursive: true, force: true })
})

/** The README's app block, as a module whose keyleash imports are this repository's sources. */
async function appBlock(): Promise<string> {
  const block = snippets(readFileSync(join(root, 'README.md'), 'utf8')).find((s) => s.heading === 'Across processes, on the development wallet' && s.index === 1)
  if (!block) throw new Error('README has no app block under "Across processes, on the development wallet"')
  const { code } = await transform(block.code, { loader: 'ts', format: 'esm', target: 'es2022' })
  const sources: Record<string, string> = { keyleash: 'src/index.ts', 'keyleash/devwallet': 'src/devwallet/index.ts', 'keyleash/node': 'src/node.ts' }
  return code.replace(/from "(keyleash[^"]*)"/g, (_, specifier: string) => `from ${JSON.stringify(join(root, sources[specifier] ?? ''))}`)
}

test("behavior: the README's app block runs the restart and two-instance stories across real processes on one served wallet", async () => {
  writeFileSync(join(dir, 'app.mjs'), await appBlock())
  const env = { ...process.env, DEV_WALLET_URL: served.url, KEYLEASH_KEY: generatePrivateKey() }
  const app = () => run(process.execPath, ['--import', 'tsx', 'app.mjs'], { cwd: dir, env }).then(({ stdout }) => stdout.trim())

  expect(await app()).toBe('granted prompts: 1')
  // A restart, and a second instance at the same time: both find the session; nobody is asked again.
  expect(await Promise.all([app(), app()])).toStrictEqual(['found the session prompts: 1', 'found the session prompts: 1'])
  const minted = await publicClient.readContract({ address: served.wallet.contracts.nft, abi: demoNftAbi, functionName: 'balanceOf', args: [served.wallet.account] })
  expect(minted).toBe(3n)
}, 120_000)

test('behavior: a connected wallet answers as the served one, its account, and its coded errors', async () => {
  const wallet = await connectDevWallet(served.url)
  expect({ account: wallet.account, contracts: wallet.contracts }).toStrictEqual({ account: served.wallet.account, contracts: served.wallet.contracts })
  expect(await wallet.provider.request({ method: 'eth_accounts' })).toStrictEqual([served.wallet.account])
  // keyleash's own check, over the connected provider: a bad grant never reaches the served wallet.
  const error = await rejectionOf(withSessionKeys(wallet.provider).request({ method: 'wallet_grantPermissions', params: [{ expiry: 0, permissions: [] }] }))
  expect(error.code).toBe(-32602)
  expect(await rejectionOf(wallet.provider.request({ method: 'wallet_nothing' }))).toMatchObject({ code: 4200 })
})
