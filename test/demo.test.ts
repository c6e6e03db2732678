import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { describe, expect, test } from 'vitest'

const run = promisify(execFile)
const demo = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'demo/cli.ts', ...args], { timeout: 60_000 })

describe('npm run demo', () => {
  test("default: the seed's story runs to the end on Openfort's own provider and exits 0", async () => {
    const { stdout } = await demo()
    expect(stdout).toContain('Every step did what it said')
    expect(stdout).not.toContain('✗')
    expect(stdout).toContain('owner signatures so far: 2 (none for the mints)')
    expect(stdout).toContain('Openfort itself allows it: it whitelists the NFT, not its functions')
    expect(stdout).toContain('owner signatures in all: 3 (two grants and the revoke)')
  }, 90_000)

  test("behavior: --wallet=erc7715 runs it on the dev wallet speaking that dialect", async () => {
    const { stdout } = await demo('--wallet=erc7715')
    expect(stdout).toContain('Every step did what it said')
    expect(stdout).not.toContain('✗')
    expect(stdout).toContain('prompts in all: 2 (the grant and the revoke)')
  }, 90_000)

  test('error: an unknown --wallet exits 2, naming exactly the wallets the README lists', async () => {
    // The table under "`npm run demo -- --wallet=<name>` picks the wallet …", up to the blank line after it.
    const readme = readFileSync('README.md', 'utf8').split('--wallet=<name>` picks')[1]?.split('\n\n')[1] ?? ''
    const listed = [...readme.matchAll(/^\| `(\w+)`(?: \(default\))? \| /gm)].map((match) => match[1])
    expect(listed).toContain('openfort')
    const error = await demo('--wallet=acme').catch((e: { code: number; stderr: string }) => e)
    expect(error).toMatchObject({ code: 2, stderr: expect.stringContaining(`--wallet=acme: the demo runs on ${listed.join(', ')}\n`) })
  })

  test('behavior: --help prints the usage and every wallet, and runs no story', async () => {
    const { stdout } = await demo('--help')
    expect(stdout).toMatch(/^Usage: npm run demo \[-- --wallet=<name>\]/)
    for (const wallet of ['openfort', 'erc7715', 'erc7715v2025', 'executionPermissions', 'metamask', 'thirdweb']) expect(stdout).toContain(`  ${wallet} `)
    expect(stdout).not.toContain('Start a local chain')
  })
})
