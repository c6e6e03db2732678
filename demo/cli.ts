/**
 * The seed's story, run: by default on Openfort's own provider (`@openfort/openfort-js`, over a
 * development backend on a local chain); `--wallet=<dialect>` runs it on the built-in dev wallet
 * speaking that ERC-7715 dialect instead.
 *
 * Run: npm run demo   (no network: the chain is anvil on 127.0.0.1)
 * Exits 0 only if every step did what it says.
 */
import { devWalletDialects, type DevWalletDialectName } from '../src/devwallet/index.js'
import { devWalletStory } from './devwallet.js'
import { openfortStory } from './openfort.js'
import { failed } from './report.js'
import * as wallets from '../src/wallets.js'

const args = process.argv.slice(2)
const wallet = args.find((arg) => arg.startsWith('--wallet='))?.slice('--wallet='.length) ?? 'openfort'
// MetaMask's kit posts analytics unless DO_NOT_TRACK is set before it loads (its story loads it, on demand).
process.env.DO_NOT_TRACK ||= '1'
// The dev wallet's dialects go by the names keyleash/wallets exports them under: what the app imports.
const exportName = (dialect: unknown) => Object.entries(wallets).find(([, value]) => value === dialect)?.[0]
const stories: Record<string, () => Promise<void>> = {
  openfort: openfortStory,
  ...Object.fromEntries(Object.entries(devWalletDialects).map(([name, dialect]) => [exportName(dialect) ?? name, () => devWalletStory(name as DevWalletDialectName)])),
  // MetaMask's Advanced Permissions run on its own Delegation Framework: their story is demo/metamask.ts.
  metamask: async () => (await import('./metamask.js')).metamaskStory(),
  // thirdweb's account speaks no ERC-7715: keyleash grants through its own call and runs the key through ERC-4337.
  thirdweb: async () => (await import('./thirdweb.js')).thirdwebStory(),
}
const about: Record<string, string> = {
  openfort: "Openfort's own SDK, over its development backend",
  erc7715: "the dev wallet, speaking viem's June 2024 shape",
  erc7715v2025: 'the dev wallet, speaking the Feb 2025 list',
  executionPermissions: 'the dev wallet, speaking wallet_requestExecutionPermissions',
  metamask: "MetaMask's Delegation Framework: a daily token allowance",
  thirdweb: "thirdweb's account through ERC-4337 (alto): no ERC-7715; the EntryPoint's decisions beside keyleash's",
}
const usage = `Usage: npm run demo [-- --wallet=<name>]

Runs a story (grant a session key, act with it, calls outside the grant, revoke) on a local
anvil chain and exits 0 only if every step did what it says.

  --wallet=<name>  the wallet to run it on (default: openfort):
${Object.keys(stories).map((name) => `                     ${name.padEnd(22)}${about[name] ?? ''}`).join('\n')}
  --help           prints this and exits`
if (args.includes('--help') || args.includes('-h')) {
  console.log(usage)
  process.exit(0)
}
const unknown = args.filter((arg) => !arg.startsWith('--wallet='))
const story = stories[wallet]
if (!story || unknown.length > 0) {
  console.error(`${story ? `${unknown.join(' ')}: not an option` : `--wallet=${wallet}: the demo runs on ${Object.keys(stories).join(', ')}`}\n\n${usage}`)
  process.exit(2)
}

const started = process.hrtime.bigint()
story().then(
  () => {
    const seconds = (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)
    console.log(failed() === 0 ? `\nEvery step did what it said (${seconds} s).` : `\n${failed()} check(s) failed (${seconds} s).`)
    process.exit(failed() === 0 ? 0 : 1)
  },
  (error: unknown) => {
    console.error('\nThe demo failed:', error)
    process.exit(1)
  },
)
