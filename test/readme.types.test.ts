import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { expect, test } from 'vitest'
import { snippets } from './utils/readmeSnippets.js'

/*
 * Every `ts` block of README.md, type-checked as written under the project's strict settings, with
 * `module: nodenext` as a Node app has it:
 * `keyleash` and its subpaths resolve to this repository's sources, and the free names the
 * README announces (`embeddedWalletProvider`, `account`, `chain`, `nft`, `calls`, `backend`,
 * `accountId`) are declared with the types an app would have. test/readme.test.ts runs them.
 */

const root = join(import.meta.dirname, '..')
// Inside the repository, so that the blocks find its node_modules (viem, ioredis, wagmi).
const dir = join(root, 'node_modules', '.cache', 'keyleash-readme-types')

const fragmentImports = `import { createWalletClient, custom } from 'viem'
import { erc7715Actions } from 'viem/experimental'
import { withSessionKeys } from 'keyleash'`

const globals = `import type { Address, Chain, EIP1193Provider, Hex } from 'viem'
import type { SessionStore } from '../../../src/sessions/types.js'
declare global {
  /** The embedded wallet's EIP-1193 provider, typed as viem types one. */
  const embeddedWalletProvider: EIP1193Provider
  /** A session store (the README's first lines). */
  const store: SessionStore
  /** Its account. */
  const account: Address
  /** The chain it is on. */
  const chain: Chain
  /** A contract with mint(address). */
  const nft: Address
  /** An ERC-20 with mint(address,uint256). */
  const token: Address
  /** Calls to it. */
  const calls: { to: Address; data: Hex }[]
  /** Openfort's backend, and the user's account id there. */
  const backend: { url: string; headers?: Record<string, string> }
  const accountId: string
}
export {}
`

test('default: every ts block of the README type-checks under strict, as written', async () => {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const found = snippets(readFileSync(join(root, 'README.md'), 'utf8')).map((snippet) => snippet.code)
  expect(found.length).toBeGreaterThan(5)
  writeFileSync(join(dir, 'globals.d.ts'), globals)
  found.forEach((code, i) => writeFileSync(join(dir, `block-${i}.ts`), `${/^import /m.test(code) ? code : `${fragmentImports}\n${code}`}\nexport {}\n`))
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../../tsconfig.json',
      compilerOptions: {
        noEmit: true,
        // As an app on Node has it (the README's blocks are ES modules with top-level await).
        module: 'nodenext',
        moduleResolution: 'nodenext',
        baseUrl: '../../..',
        paths: { keyleash: ['src/index.ts'], 'keyleash/devwallet': ['src/devwallet/index.ts'], 'keyleash/*': ['src/*.ts'] },
      },
      include: ['*.ts'],
    }),
  )
  const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')]).catch(
    (error: { stdout: string }) => ({ stdout: error.stdout }),
  )
  expect(stdout).toBe('')
}, 300_000)
