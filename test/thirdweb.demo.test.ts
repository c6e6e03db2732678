import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { expect, test } from 'vitest'

const run = promisify(execFile)

test('default: `npm run demo -- --wallet=thirdweb` tells the story on a thirdweb account through alto, the EntryPoint\'s decisions beside keyleash\'s, and exits 0', async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'demo/cli.ts', '--wallet=thirdweb'], { timeout: 110_000 })
  expect(stdout).toContain('Every step did what it said')
  expect(stdout).not.toContain('✗')
  expect(stdout).toContain('owner prompts so far: 1 (none for the mints)')
  expect(stdout).toContain('NFTs held by the account: 5')
  // Another contract: refused by both; another function of the NFT: refused by keyleash, executed by the account.
  expect(stdout).toMatch(/4\. A call to another contract[^\n]*\n\s+✓ refused by keyleash: target-not-allowed\n\s+✓ the key straight to the bundler: refused by the EntryPoint \(AA24/)
  expect(stdout).toMatch(/✓ refused by keyleash: selector-not-allowed\n\s+✓ the key straight to the bundler: EXECUTED by the account \(operator approved: true\)/)
  expect(stdout).toContain('owner prompts in all: 2 (the grant and the revoke)')
}, 120_000)
