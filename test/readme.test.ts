import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { transform } from 'esbuild'
import { createPublicClient, defineChain, encodeFunctionData, http } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, test, vi } from 'vitest'
import { demoNftAbi, demoTokenAbi } from '../src/devwallet/artifacts.js'
import type { DevWalletDialectName } from '../src/devwallet/dialects.js'
import { serveDevWallet } from '../src/devwallet/serve.js'
import { createDevWallet } from '../src/devwallet/wallet.js'
import * as wallets from '../src/wallets.js'
import { useSharedChain } from './utils/chain.js'
import { createDevOpenfort } from '../src/devwallet/openfort/sdk.js'
import { snippets } from './utils/readmeSnippets.js'

/*
 * Every `ts` block of README.md runs here, as written, against a wallet on the shared chain:
 * the free names the README announces (`embeddedWalletProvider`, `account`, `chain`, `nft`,
 * `token`, `calls`, and `backend` and `accountId` for Openfort's) are given, `keyleash` imports load this
 * repository's sources, and what each block must have done (mints, prompts) is checked. A block
 * that gives keyleash `wallet: openfort` runs on Openfort's own SDK over the development backend;
 * the others on the dev wallet, speaking the dialect the block gives (from `keyleash/wallets`).
 */

const { rpcUrl } = useSharedChain()
const redisUrl = inject('redisUrl')
const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8')
const chain = defineChain({ id: 31337, name: 'anvil', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } })
const publicClient = createPublicClient({ chain, transport: http(rpcUrl) })

const local: Record<string, () => Promise<unknown>> = {
  keyleash: () => import('../src/index.js'),
  'keyleash/node': () => import('../src/node.js'),
  'keyleash/wagmi': () => import('../src/wagmi.js'),
  'keyleash/wallets': () => import('../src/wallets.js'),
  'keyleash/devwallet': () => import('../src/devwallet/index.js'),
}
const load = (specifier: string) => (local[specifier] ?? (() => import(specifier)))()

const fragmentImports = `import { createWalletClient, custom } from 'viem'
import { erc7715Actions } from 'viem/experimental'
import { withSessionKeys } from 'keyleash'`

/**
 * TypeScript → a body for an async function: types stripped by esbuild, each `import … from 'x'`
 * turned into `await load('x')`, and the rest in a block of its own so that the snippet's
 * declarations may shadow the given names.
 */
async function compile(code: string): Promise<string> {
  // A fragment with no imports (the README's opening lines) gets the Quick start's.
  const source = /^import /m.test(code) ? code : `${fragmentImports}\n${code}`
  const { code: js } = await transform(source, { loader: 'ts', format: 'esm', target: 'es2022' })
  const imports: string[] = []
  const body = js.replace(/^import (.+?) from "([^"]+)";$/gm, (_, what: string, from: string) => {
    const named = what.match(/\{([^}]*)\}/)?.[1]
    const fallback = what.replace(/,?\s*\{[^}]*\}/, '').trim()
    const parts: string[] = []
    if (fallback) parts.push(`default: ${fallback}`)
    if (named) parts.push(...named.split(',').map((n) => n.trim().replace(/ as /, ': ')).filter(Boolean))
    imports.push(`const { ${parts.join(', ')} } = await load(${JSON.stringify(from)});`)
    return ''
  })
  return `{\n${imports.join('\n')}\n${body}\n}`
}

/** The name of the dialect a block passes as `wallet` (an export of keyleash/wallets), or the default's. */
function dialectOf(code: string): string {
  const given = code.match(/\bwallet: (\w+)/)?.[1]
  if (given === undefined) return 'erc7715'
  // openfortWallet({ accountType }) makes the openfort dialect for an account type.
  if (given === 'openfortWallet') return wallets.openfort.name
  const exported = (wallets as Record<string, unknown>)[given]
  // A dialect made with options (`thirdweb({ relayer })`): named as made with none.
  const dialect = typeof exported === 'function' ? (exported as () => unknown)() : exported
  if (typeof dialect !== 'object' || dialect === null) throw new Error(`the block passes wallet: ${given}, which keyleash/wallets does not export as a dialect`)
  return (dialect as { name: string }).name
}

/** Openfort's own provider for a new user, or the dev wallet speaking the block's dialect; and the names Openfort's blocks use. */
async function walletFor(code: string) {
  const dialect = dialectOf(code)
  // thirdweb's block makes its own chain and thirdweb wallet: the shared dev wallet stays untouched.
  if (dialect === 'thirdweb') return { wallet: await createDevWallet({ rpcUrl }), backend: undefined, accountId: undefined }
  if (dialect !== 'openfort') return { wallet: await createDevWallet({ rpcUrl, dialect: dialect as DevWalletDialectName }), backend: undefined, accountId: undefined }
  const wallet = await createDevOpenfort({ rpcUrl })
  return { wallet, backend: { url: wallet.backend.url, headers: { authorization: `Bearer ${wallet.backend.secretKey}` } }, accountId: wallet.openfortAccount.id }
}

const all = snippets(readme)
const folder = mkdtempSync(join(tmpdir(), 'keyleash-readme-'))
const cwd = process.cwd()

beforeEach(async () => {
  // The README's sessions run on the system clock; make it the shared chain's, which other files may have moved.
  const block = await publicClient.getBlock()
  vi.useFakeTimers({ toFake: ['Date'], now: Number(block.timestamp) * 1000 })
})
beforeAll(() => {
  vi.stubEnv('KEYLEASH_KEY', generatePrivateKey())
  vi.stubEnv('REDIS_URL', redisUrl)
})
afterEach(() => process.chdir(cwd))
afterAll(() => {
  vi.useRealTimers()
  vi.unstubAllEnvs()
  vi.unstubAllGlobals()
  rmSync(folder, { recursive: true, force: true })
})

test('default: the README has the sections issue 6 asks for, each with code', () => {
  const headings = new Set(all.map((s) => s.heading))
  for (const section of ['Quick start with viem', "Quick start: Openfort's embedded wallet", 'With viem', 'With wagmi', 'On a Node backend: sessions in a file or in Redis'])
    expect(headings).toContain(section)
})

/** What each block must leave behind: NFTs minted, the wallet's prompts, and anything else to check. */
const expectations: Record<string, { minted: number; prompts: number } | undefined> = {
  'keyleash#0': { minted: 0, prompts: 0 },
  // It makes its own chain and wallet: what it did is in what it printed (checked below).
  'Quick start, on the development wallet#0': { minted: 0, prompts: 0 },
  // It makes the names the others are given, on a chain of its own (stopped after it).
  'The snippets below#0': { minted: 0, prompts: 0 },
  'Quick start with viem#0': { minted: 1, prompts: 1 },
  // The tokens' mint (a prompt, no session yet) and the grant.
  'Grants for native value and token spend#0': { minted: 0, prompts: 2 },
  'Grants for native value and token spend#1': { minted: 0, prompts: 1 },
  'Sessions and events#0': { minted: 0, prompts: 2 },
  // It makes its own chain and Openfort user, as the dev wallet's quick start does.
  "Quick start: Openfort's embedded wallet#0": { minted: 0, prompts: 0 },
  "Quick start: Openfort's embedded wallet#1": { minted: 0, prompts: 1 },
  'With viem#0': { minted: 1, prompts: 1 },
  'With wagmi#0': { minted: 1, prompts: 1 },
  'On a Node backend: sessions in a file or in Redis#0': { minted: 1, prompts: 1 },
  'On a Node backend: sessions in a file or in Redis#1': { minted: 1, prompts: 1 },
  'Rotating the encryption key#0': { minted: 1, prompts: 1 },
  'Keys a page script cannot carry away (P-256)#0': { minted: 1, prompts: 1 },
  // The wallet's process (its server closed after it), and an app process over a served wallet.
  'Across processes, on the development wallet#0': { minted: 0, prompts: 0 },
  'Across processes, on the development wallet#1': { minted: 0, prompts: 0 },
  // It makes its own chain and development MetaMask.
  'MetaMask Advanced Permissions (ERC-7715 + ERC-7710)#0': { minted: 0, prompts: 0 },
  // It makes its own chain, bundler and thirdweb wallet.
  'Accounts that speak no ERC-7715#0': { minted: 0, prompts: 0 },
}

describe.each(all.map((s) => [`${s.heading} #${s.index}`, s] as const))('README: %s', (_, snippet) => {
  test('default: runs as written against the dev wallet and does what it says', async (ctx) => {
    const key = `${snippet.heading}#${snippet.index}`
    const expected = expectations[key]
    expect(expected, `no expectation for README block ${key}: add one to test/readme.test.ts`).toBeDefined()
    if (snippet.code.includes('redisStore') && redisUrl === '') {
      if (process.env.KEYLEASH_REQUIRE_REDIS) throw new Error('no redis-server for the README\'s Redis block')
      ctx.skip('no redis-server (scripts/ensure-redis.sh)')
    }
    const { wallet, backend, accountId } = await walletFor(snippet.code)
    // A block that starts its own chain runs on the system clock, as that chain does.
    if (snippet.code.includes('startDevChain(')) vi.useRealTimers()
    const logged: unknown[] = []
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(...args))
    // wagmi needs a `window` (its injected connector, and EIP-6963 discovery's events); the provider is handed to it directly.
    vi.stubGlobal('window', new EventTarget())
    process.chdir(mkdtempSync(join(folder, 'run-')))

    const given = {
      embeddedWalletProvider: wallet.provider,
      account: wallet.account,
      chain,
      nft: wallet.contracts.nft,
      token: wallet.contracts.token,
      calls: [{ to: wallet.contracts.nft, data: encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [wallet.account] }) }],
      backend,
      accountId,
      store: undefined,
      load,
    }
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<void>
    // The block that makes the app's names leaves its chain running for the blocks after it; here, nothing comes after.
    const closing: Record<string, string> = { 'The snippets below#0': 'await wallet.close()\nawait devChain.stop()', 'Across processes, on the development wallet#0': 'await served.close()' }
    const code = `${snippet.code}\n${closing[key] ?? ''}`
    // The app's block reaches a wallet served on the shared chain (test/devwallet/serve.test.ts runs it across processes).
    const served = key === 'Across processes, on the development wallet#1' ? await serveDevWallet({ rpcUrl }) : undefined
    if (served) vi.stubEnv('DEV_WALLET_URL', served.url)
    const run = new AsyncFunction(...Object.keys(given), await compile(code))
    await run(...Object.values(given))
    vi.mocked(console.log).mockRestore()

    const minted = await publicClient.readContract({ address: wallet.contracts.nft, abi: demoNftAbi, functionName: 'balanceOf', args: [wallet.account] })
    expect({ minted: Number(minted), prompts: wallet.prompts }).toStrictEqual(expected)

    if (key === "Quick start: Openfort's embedded wallet#1") {
      expect(logged[0]).toStrictEqual({ target: 'wallet', selector: 'keyleash', value: 'keyleash', spend: 'keyleash', 'call-limit': 'wallet', expiry: 'wallet' })
      expect(logged.slice(1, 3)).toStrictEqual([4100, expect.stringContaining('does not enforce the selector rule')])
    }
    if (key === 'Quick start, on the development wallet#0') expect(logged).toStrictEqual(['success', 'prompts:', 1])
    if (key === 'Grants for native value and token spend#0') {
      expect(logged).toStrictEqual(['success', 'value-over-limit'])
      const shop = '0x000000000000000000000000000000000000dEaD'
      expect(await publicClient.readContract({ address: wallet.contracts.token, abi: demoTokenAbi, functionName: 'balanceOf', args: [shop] })).toBe(4n * 10n ** 18n)
    }
    if (key === 'Across processes, on the development wallet#0') expect(logged).toStrictEqual([expect.stringMatching(/^DEV_WALLET_URL=http:\/\/127\.0\.0\.1:\d+$/)])
    if (served) {
      expect(logged).toStrictEqual(['granted', 'prompts:', 1])
      expect(await publicClient.readContract({ address: served.wallet.contracts.nft, abi: demoNftAbi, functionName: 'balanceOf', args: [served.wallet.account] })).toBe(1n)
      await served.close()
    }
    if (key === 'MetaMask Advanced Permissions (ERC-7715 + ERC-7710)#0')
      expect(logged).toStrictEqual(['success', 'spend-over-period-limit', expect.stringMatching(/^40000000000000000000 wei of token 0x\w+…\w+ left until .+; the call moves 60000000000000000000 wei of token/)])
    if (key === 'Accounts that speak no ERC-7715#0')
      expect(logged).toStrictEqual(['success', 'prompts:', 1, { target: 'wallet', selector: 'keyleash', value: 'wallet', spend: 'keyleash', 'call-limit': 'keyleash', expiry: 'wallet' }])
    if (key === 'Grants for native value and token spend#1') expect(logged).toStrictEqual([['contract-call', 'native-token-transfer', 'erc20-token-transfer']])
    if (key === "Quick start: Openfort's embedded wallet#0") expect(logged).toStrictEqual(['success', 'owner signatures:', 1])
    if (key === 'Sessions and events#0') expect(logged.filter((entry) => typeof entry === 'string' && !entry.startsWith('0x'))).toStrictEqual(['granted', 'selector-not-allowed', 'revoked'])
    if (key === 'With viem#0') expect(String(logged[0])).toMatch(/^the calls do not fit session 0x[0-9a-f]+: call 0: function 0xa9059cbb of 0x\w+…\w+ is not granted/i)
    // The send under the new key with the old one as previous re-sealed all there was: reseal() finds nothing left.
    if (key === 'Rotating the encryption key#0') {
      expect(logged).toStrictEqual([0, 'active'])
      expect(readFileSync('./data/sessions.jsonl', 'utf8')).not.toContain(process.env.KEYLEASH_KEY!.slice(2))
    }
    if (key === 'Keys a page script cannot carry away (P-256)#0') expect(logged).toStrictEqual([{ type: 'key', key: { keyType: 'secp256r1', publicKey: expect.stringMatching(/^0x04[0-9a-f]{128}$/) } }])
    if (key === 'On a Node backend: sessions in a file or in Redis#0')
      expect(readFileSync('./data/sessions.jsonl', 'utf8')).not.toContain(process.env.KEYLEASH_KEY!.slice(2))
    await wallet.close()
  }, 60_000)
})
