import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
const require = createRequire(import.meta.url)
const solc = require('solc')
const unit = '@thirdweb-dev/contracts/prebuilts/account/non-upgradeable/AccountFactory.sol'
const t = performance.now()
const input = { language: 'Solidity', sources: { [unit]: { content: readFileSync(require.resolve(unit), 'utf8') } }, settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: 'cancun', metadata: { bytecodeHash: 'none', appendCBOR: false }, outputSelection: { [unit]: { AccountFactory: ['abi', 'evm.bytecode.object'] }, '@thirdweb-dev/contracts/prebuilts/account/non-upgradeable/Account.sol': { Account: ['abi'] } } } }
const out = JSON.parse(solc.compile(JSON.stringify(input), { import: (p: string) => { try { return { contents: readFileSync(require.resolve(p), 'utf8') } } catch (e) { return { error: String(e) } } } }))
console.log((out.errors ?? []).filter((e: any) => e.severity === 'error').map((e: any) => e.formattedMessage))
for (const [f, cs] of Object.entries(out.contracts ?? {})) for (const [n, c] of Object.entries(cs as any)) console.log(f, n, (c as any).evm?.bytecode?.object?.length, (c as any).abi?.length)
console.log(Math.round(performance.now() - t), 'ms')
