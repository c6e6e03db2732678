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

const wallet = process.argv.find((arg) => arg.startsWith('--wallet='))?.slice('--wallet='.length) ?? 'openfort'
// MetaMask's kit posts analytics unless DO_NOT_TRACK is set before it loads (its story loads it, on demand).
process.env.DO_NOT_TRACK ||= '1'
// The dev wallet's dialects go by the names keyleash/wallets exports them under: what the app imports.
const exportName = (dialect: unknown) => Object.entries(wallets).find(([, value]) => value === dialect)?.[0]
const stories: Record<string, () => Promise<void>> = {
  openfort: openfortStory,
  ...Object.fromEntries(Object.entries(devWalletDialects).map(([name, dialect]) => [exportName(dialect) ?? name, () => devWalletStory(name as DevWalletDialectName)])),
  // MetaMask's Advanced Permissions run on its own Delegation Framework: their story is demo/metamask.ts.
  metamask: async () => (await import('./metamask.js')).metamaskStory(),
}
const story = stories[wallet]
if (!story) {
  console.error(`--wallet=${wallet}: the demo runs on ${Object.keys(stories).join(', ')}`)
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
