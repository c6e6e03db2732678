import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, test } from 'vitest'

const run = promisify(execFile)

describe('npm run demo', () => {
  test.each(['openfort', 'erc7715'])('default: the seed\'s story runs to the end on the dev wallet (%s) and exits 0', async (wallet) => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'demo/cli.ts', `--wallet=${wallet}`], { timeout: 60_000 })
    expect(stdout).toContain('Every step did what it said')
    expect(stdout).not.toContain('✗')
    expect(stdout).toContain('prompts in all: 2 (the grant and the revoke)')
  }, 90_000)
})
