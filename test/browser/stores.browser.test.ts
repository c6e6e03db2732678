import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { bytesToHex, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { executablePath, launchChromium, startVite } from './chromium.js'

/*
 * The browser stores in two real tabs of one origin (Debian's Chromium, driven by
 * playwright-core): both reserve calls of one session with a call limit of 50, 150 attempts
 * each, at once; and each store across a rotation of its encryptionKey, a page reload per
 * step. Skipped without Chromium on a developer's machine; CI installs it and fails without it.
 */

const hasChromium = existsSync(executablePath)
if (!hasChromium && process.env.CI) throw new Error(`Chromium is missing at ${executablePath}: .ci/run must run scripts/ensure-chromium.sh`)

type Kind = 'indexedDbStore' | 'webStorageStore'
type Tabs = Window['keyleashTabs']

let server: Awaited<ReturnType<typeof startVite>> | undefined
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined

beforeAll(async () => {
  if (!hasChromium) return
  server = await startVite({ configFile: false, root: join(import.meta.dirname, 'tabs') })
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function tab(): Promise<Page> {
  const page = await (browser as NonNullable<typeof browser>).context.newPage()
  await page.goto((server as NonNullable<typeof server>).url)
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' })
  return page
}

const call = <T>(page: Page, run: (tabs: Tabs, ...args: never[]) => Promise<T>, ...args: unknown[]): Promise<T> =>
  page.evaluate(([source, values]) => new Function('tabs', 'values', `return (${source})(tabs, ...values)`)(window.keyleashTabs, values), [run.toString(), args] as const) as Promise<T>

describe.runIf(hasChromium)('browser stores in two real tabs', () => {
  test('behavior: indexedDbStore: two tabs share one session and reserve exactly its call limit between them', async () => {
    const [a, b] = [await tab(), await tab()]
    const kind: Kind = 'indexedDbStore'
    await call(a, (tabs, kind: Kind) => tabs.grant(kind, 50), kind)
    const results = await Promise.all([a, b].map((page) => call(page, (tabs, kind: Kind) => tabs.reserve(kind, 150, 50), kind)))
    expect(results.map((r) => r.errors)).toStrictEqual([[], []])
    expect(results[0]!.reserved + results[1]!.reserved).toBe(50)
    expect(await call(b, (tabs, kind: Kind) => tabs.usage(kind), kind)).toBe(50)
    await Promise.all([a.close(), b.close()])
  }, 60_000)

  test('behavior: webStorageStore: a second tab is refused while the first holds the store, so no call is counted where it can be lost', async () => {
    const [a, b] = [await tab(), await tab()]
    const kind: Kind = 'webStorageStore'
    await call(a, (tabs, kind: Kind) => tabs.grant(kind, 50), kind)
    const [first, second] = await Promise.all([a, b].map((page) => call(page, (tabs, kind: Kind) => tabs.reserve(kind, 150, 50), kind)))
    expect(first).toStrictEqual({ reserved: 50, errors: [] })
    expect(second).toStrictEqual({
      reserved: 0,
      errors: ['webStorageStore tabs is in use by another tab: localStorage is not consistent across tabs, so only one may count usage'],
    })
    expect(await call(a, (tabs, kind: Kind) => tabs.usage(kind), kind)).toBe(50)
    // Once the first tab is gone, so is its lock (the browser lets go of it soon after): the
    // other tab takes the store over.
    await a.close()
    await expect.poll(() => call(b, (tabs, kind: Kind) => tabs.usage(kind), kind).catch((error: Error) => error.message), { timeout: 10_000 }).toBe(50)
    await b.close()
  }, 60_000)

  test('behavior: indexedDbStore: when another tab deletes the database, this tab\'s store opens it again and works on', async () => {
    const [a, b] = [await tab(), await tab()]
    const kind: Kind = 'indexedDbStore'
    await call(b, (tabs) => tabs.deleteDatabase()) // whatever the tests before left
    await call(a, (tabs, kind: Kind) => tabs.grant(kind, 5), kind)
    expect(await call(a, (tabs, kind: Kind) => tabs.usage(kind), kind)).toBe(0)
    // The other tab's delete waits for this tab's connection to close, which the store does on versionchange.
    await call(b, (tabs) => tabs.deleteDatabase())
    expect(await call(a, (tabs, kind: Kind) => tabs.usage(kind), kind)).toBeUndefined()
    await call(a, (tabs, kind: Kind) => tabs.grant(kind, 5), kind)
    expect(await call(a, (tabs, kind: Kind) => tabs.reserve(kind, 3, 5), kind)).toStrictEqual({ reserved: 3, errors: [] })
    expect(await call(b, (tabs, kind: Kind) => tabs.usage(kind), kind)).toBe(3)
    await Promise.all([a.close(), b.close()])
  }, 60_000)
})

describe.runIf(hasChromium)('browser stores across a rotation of their encryptionKey', () => {
  for (const kind of ['indexedDbStore', 'webStorageStore'] as const)
    test(`behavior: ${kind}: a rotation from A to B across page reloads: reseal() under B with previous [A] seals all, the key signs; B alone opens it, A alone does not`, async () => {
      const [keyA, keyB] = [bytesToHex(crypto.getRandomValues(new Uint8Array(32))), bytesToHex(crypto.getRandomValues(new Uint8Array(32)))]
      const namespace = `rotation-${kind}`
      const page = await tab()
      const keyAddress = await call(page, (tabs, kind: Kind, namespace: string, key: Hex) => tabs.grantUnder(kind, namespace, key), kind, namespace, keyA)
      // Each step a restart: the page reloaded, its store opened again with these keys. A
      // webStorageStore waits for the old page's Web Lock (let go soon after), refusing all until then.
      const restart = async (keys: { encryptionKey: Hex; previousEncryptionKeys?: Hex[] }, reseal: boolean) => {
        await page.reload()
        await page.waitForSelector('body[data-ready="true"]', { state: 'attached' })
        const use = () => call(page, (tabs, ...args: Parameters<Tabs['useUnder']>) => tabs.useUnder(...args), kind, namespace, keyAddress, keys, reseal)
        for (let attempt = 0; ; attempt++) {
          try {
            return await use()
          } catch (error) {
            if (attempt === 50 || !String(error).includes('in use by another tab')) throw error
            await new Promise((resolve) => setTimeout(resolve, 200))
          }
        }
      }
      const fine = { errors: [], key: 'signer', signedBy: keyAddress, status: 'active' }
      const name = kind === 'indexedDbStore' ? 'indexedDbStore keyleash' : `webStorageStore ${namespace}`
      expect(await restart({ encryptionKey: keyB, previousEncryptionKeys: [keyA] }, true)).toStrictEqual({ ...fine, resealed: { resealed: 2, unreadable: [] }, calls: 1 })
      expect(await restart({ encryptionKey: keyB }, false)).toStrictEqual({ ...fine, resealed: undefined, calls: 2 })
      expect(await restart({ encryptionKey: keyA }, false)).toStrictEqual({
        resealed: undefined,
        status: undefined,
        calls: undefined,
        key: 'locked',
        signedBy: undefined,
        errors: [
          `${name}: skipped session 0x07a7ed: the entry fails its authentication tag: it was altered, or written under another id or encryptionKey`,
          `${name}: skipped key ${keyAddress}: the key of ${keyAddress} does not decrypt: it was sealed with another encryptionKey, or altered`,
        ],
      })
      await page.close()
    }, 60_000)
})
