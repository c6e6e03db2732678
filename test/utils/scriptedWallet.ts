import type { Address } from 'viem'
import { type DevWalletDialectName, devWalletDialects } from '../../src/devwallet/dialects.js'
import { scriptedProvider, type Script, type ScriptedProvider } from './scriptedProvider.js'

export const chainId = 31337
export const account: Address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
export const nft: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
export const token: Address = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'
export const now = 1_800_000_000

type Wire = Record<string, unknown>

/**
 * A scripted wallet that grants exactly what it is asked, answering in `dialect` as such
 * a wallet does, numbering its
 * contexts, and revoking with `{}`.
 */
export function scriptedWallet(dialect: DevWalletDialectName, more: Script = {}): ScriptedProvider {
  let granted = 0
  const context = () => `0x${(++granted).toString(16).padStart(4, '0')}`
  const grants: Record<DevWalletDialectName, (params: Wire[]) => unknown> = {
    erc7715: ([request]) => ({ expiry: request?.expiry, grantedPermissions: request?.permissions, permissionsContext: context() }),
    'erc7715-2025': (requests) => requests.map((request) => ({ ...request, context: context() })),
    'execution-permissions': (requests) =>
      requests.map((request) => ({ ...request, context: context(), dependencies: [], delegationManager: '0xdb9B1e94B5b69Df7e401DDbedE43491141047dB3' })),
  }
  const { grantMethod, revokeMethod } = devWalletDialects[dialect]
  return scriptedProvider({
    eth_chainId: `0x${chainId.toString(16)}`,
    eth_accounts: [account],
    [grantMethod]: grants[dialect],
    [revokeMethod]: {},
    ...more,
  })
}
