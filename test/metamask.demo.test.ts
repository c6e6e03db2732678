import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { expect, test } from 'vitest'

const run = promisify(execFile)

test('default: `npm run demo -- --wallet=metamask` tells the daily-allowance story on the development MetaMask and exits 0', async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'demo/cli.ts', '--wallet=metamask'], { timeout: 90_000 })
  expect(stdout).toContain('Every step did what it said')
  expect(stdout).not.toContain('✗')
  expect(stdout).toMatch(/refused by keyleash: spend-over-period-limit: 10 DEMO left until \d{4}-/)
  expect(stdout).toContain('prompts in all: 2 (the grant and the revoke)')
}, 120_000)
