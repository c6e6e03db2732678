import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { createPublicClient, http } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { DevWalletInfo } from '../../demo/web/devWalletServer.js'
import { devWalletServer } from '../../demo/web/devWalletServer.js'
import { demoNftAbi, sessionAccountAbi } from '../../src/devwallet/artifacts.js'
import { executablePath, launchChromium, startVite } from './chromium.js'

/*
 * A non-extractable P-256 session key in real Chromium (Debian's, driven by playwright-core):
 * keyleash makes it with keyType 'p256', keeps its CryptoKey in IndexedDB, and after a reload
 * it signs five mints that the dev wallet's account verifies on chain (P256VERIFY), with no
 * prompt. Then the page is searched as a same-origin script would search it: no key bytes in
 * IndexedDB, localStorage, keyleash's events or its errors, and no CryptoKey exports. Skipped
 * without Chromium on a developer's machine; CI installs it and fails without it.
 */

const hasChromium = existsSync(executablePath)
if (!hasChromium && process.env.CI) throw new Error(`Chromium is missing at ${executablePath}: .ci/run must run scripts/ensure-chromium.sh`)

type P256Page = Window['keyleashP256']

let server: Awaited<ReturnType<typeof startVite>> | undefined
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined

beforeAll(async () => {
  if (!hasChromium) return
  server = await startVite({ configFile: false, root: join(import.meta.dirname, 'p256'), plugins: [devWalletServer({ dialect: 'erc7715-2025' })] })
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const call = <T>(page: Page, run: (p256: P256Page, ...args: never[]) => Promise<T>, ...args: unknown[]): Promise<T> =>
  page.evaluate(([source, values]) => new Function('p256', 'values', `return (${source})(p256, ...values)`)(window.keyleashP256, values), [run.toString(), args] as const) as Promise<T>

const ready = (page: Page) => page.waitForSelector('body[data-ready="true"]', { state: 'attached' })

async function walletInfo(): Promise<DevWalletInfo> {
  return (await (await fetch(new URL('/devwallet/info', (server as NonNullable<typeof server>).url), { method: 'POST' })).json()) as DevWalletInfo
}

// The private key's PKCS#8 prefix for P-256 and a JWK's private scalar: what exported key bytes would look like.
const keyBytes = /308187020100301306072a8648ce3d020106082a8648ce3d030107|"d":"/i

describe.runIf(hasChromium)("a P-256 session key in Chromium (keyType: 'p256', indexedDbStore)", () => {
  test('default: granted once, survives a reload, signs five mints verified on chain with no prompt; nothing on the page can export it', async () => {
    const info = await walletInfo()
    const wallet = { chainId: info.chainId, account: info.account, nft: info.contracts.nft, token: info.contracts.token }
    const chain = createPublicClient({ transport: http(info.rpcUrl) })
    const nfts = () => chain.readContract({ address: wallet.nft, abi: demoNftAbi, functionName: 'balanceOf', args: [wallet.account] })
    const page = await (browser as NonNullable<typeof browser>).context.newPage()
    const failures: string[] = []
    page.on('pageerror', (error) => failures.push(error.message))
    await page.goto((server as NonNullable<typeof server>).url)
    await ready(page)

    const context = await call(page, (p256, w: typeof wallet) => p256.grant(w), wallet)
    const granted = await call(page, (p256, c: string) => p256.session(c), context)
    expect(granted).toMatchObject({ signer: { type: 'key', key: { keyType: 'secp256r1', publicKey: expect.stringMatching(/^0x04[0-9a-f]{128}$/) } }, status: 'active', calls: 0 })
    const prompts = (await walletInfo()).prompts
    const before = await nfts()
    // What the grant's event carried, before the reload takes the page's listeners away.
    const { events } = await call(page, (p256) => p256.loot())
    expect(events).toHaveLength(1)
    expect(events[0]).toContain((granted!.signer as { key: { publicKey: string } }).key.publicKey)

    await page.reload()
    await ready(page)
    for (let i = 0; i < 5; i++) await call(page, (p256, w: typeof wallet, c: string) => p256.mint(w, c), wallet, context)
    await expect.poll(nfts, { timeout: 10_000 }).toBe(before + 5n)
    expect((await walletInfo()).prompts).toBe(prompts)
    expect(await call(page, (p256, c: string) => p256.session(c), context)).toMatchObject({ calls: 5 })
    const onChain = await chain.readContract({ address: wallet.account, abi: sessionAccountAbi, functionName: 'getSession', args: [granted!.keyAddress as `0x${string}`] })
    expect(onChain.callsUsed).toBe(5)

    // A same-origin script: it can USE the key through keyleash (the mints above), and is refused outside the grant…
    const refused = await call(page, (p256, w: typeof wallet, c: string) => p256.refused(w, c), wallet, context)
    expect(JSON.parse(refused)).toMatchObject({ message: expect.stringContaining(`the calls do not fit session ${context}`) })
    // …but cannot carry it away: every CryptoKey it finds is non-extractable, and no stored value, event or error holds key bytes.
    const loot = await call(page, (p256) => p256.loot())
    expect(loot.cryptoKeys).toContainEqual({ type: 'private', extractable: false, algorithm: 'ECDSA', exported: ['pkcs8: InvalidAccessError', 'jwk: InvalidAccessError', 'raw: InvalidAccessError'] })
    for (const key of loot.cryptoKeys) expect(key.exported.every((outcome) => !outcome.endsWith('exported'))).toBe(true)
    expect(loot.strings.some((value) => value.includes(granted!.keyAddress!.toLowerCase()) || value.includes(context))).toBe(true)
    for (const value of [...loot.strings, ...events, ...loot.events, refused]) expect(value).not.toMatch(keyBytes)
    expect(failures).toStrictEqual([])
    await page.close()
  }, 120_000)
})
