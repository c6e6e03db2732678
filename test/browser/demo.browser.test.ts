import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { createPublicClient, http } from 'viem'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { demoNftAbi } from '../../src/devwallet/artifacts.js'
import type { DevWalletInfo } from '../../demo/web/devWalletServer.js'
import { executablePath, launchChromium, startVite } from './chromium.js'

/*
 * The demo page (`npm run demo:web`) in headless Chromium: the seed's story clicked through,
 * checked on-chain and by the wallet's prompt count, across a reload. Debian's chromium,
 * driven by playwright-core. Without Chromium the test is skipped on a developer's machine
 * and FAILS in CI (CI=true): `scripts/ensure-chromium.sh` installs it there.
 */

const screenshot = join(import.meta.dirname, '__screenshots__', 'demo.png')

let server: Awaited<ReturnType<typeof startVite>> | undefined
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined
let url = ''

beforeAll(async () => {
  server = await startVite({ configFile: join(import.meta.dirname, '../../demo/web/vite.config.ts') })
  url = server.url
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function wallet(): Promise<DevWalletInfo> {
  return (await (await fetch(new URL('/devwallet/info', url), { method: 'POST' })).json()) as DevWalletInfo
}

async function click(page: Page, id: string): Promise<void> {
  await page.click(`#${id}`)
  await page.waitForSelector('body[data-state="idle"]')
}

test('default: connect, grant once, mint with no prompt, see a refusal, reload and mint again, revoke', async (ctx) => {
  const started = performance.now()
  if (!existsSync(executablePath)) {
    if (process.env.CI) throw new Error(`Chromium is missing at ${executablePath}: .ci/run must run scripts/ensure-chromium.sh`)
    ctx.skip(`no Chromium at ${executablePath} (run scripts/ensure-chromium.sh)`)
  }
  try {
    browser = await launchChromium()
  } catch (error) {
    if (process.env.CI) throw error
    ctx.skip(`Chromium did not start: ${(error as Error).message.split('\n')[0]}`)
  }
  const page = await browser!.context.newPage()
  const failures: string[] = []
  const dialogs: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') failures.push(`console: ${message.text()}`)
  })
  page.on('pageerror', (error) => failures.push(`page: ${error.message}`))
  page.on('response', (response) => {
    if (response.status() >= 400) failures.push(`http ${response.status()}: ${response.url()}`)
  })
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message())
    void dialog.accept()
  })

  const info = await wallet()
  const chain = createPublicClient({ transport: http(info.rpcUrl) })
  const nfts = () => chain.readContract({ address: info.contracts.nft, abi: demoNftAbi, functionName: 'balanceOf', args: [info.account] })
  const text = (selector: string) => page.locator(selector).innerText()

  await page.goto(url)
  await page.waitForSelector('body[data-state="idle"]')

  await click(page, 'connect')
  expect(await text('#account')).toBe(info.account)

  await click(page, 'grant')
  expect(dialogs).toHaveLength(1)
  expect(dialogs[0]).toMatch(/^session key 0x[0-9a-fA-F]{40} until .*: call 0x6a627842 on 0x/)
  expect(await page.getAttribute('#session', 'data-status')).toBe('active')

  for (let i = 0; i < 3; i++) await click(page, 'mint')
  expect(await nfts()).toBe(3n)
  expect((await wallet()).prompts).toBe(1)
  expect(await text('#prompts')).toBe('1')

  await click(page, 'refused')
  expect(await page.locator('#log li.refused').last().innerText()).toMatch(/^refused \(4100\): target-not-allowed: target 0x\w+…\w+ is not granted/)

  await page.reload()
  await page.waitForSelector('body[data-state="idle"]')
  expect(await page.locator('#log li.restored').count()).toBe(1)
  await click(page, 'mint')
  expect(await nfts()).toBe(4n)
  expect((await wallet()).prompts).toBe(1)
  expect(dialogs).toHaveLength(1)

  await click(page, 'revoke')
  expect(dialogs).toHaveLength(2)
  expect(dialogs[1]).toMatch(/^revoke session key 0x/)
  expect(await page.getAttribute('#session', 'data-status')).toBe('revoked')
  await click(page, 'mint')
  expect(await page.locator('#log li.refused').last().innerText()).toMatch(/^mint refused by keyleash \(4100\): .*was revoked/)
  expect(await nfts()).toBe(4n)
  expect((await wallet()).prompts).toBe(2)

  await page.screenshot({ path: screenshot, fullPage: true })
  expect(await text('#error')).toBe('')
  expect(failures).toStrictEqual([])
  if (process.env.KEYLEASH_TIMINGS) console.log(`browser story: ${Math.round(performance.now() - started)} ms`)
}, 120_000)
