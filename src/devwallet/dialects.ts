import { erc7715 } from '../permissions/dialects/erc7715.js'
import type { WalletDialect } from '../permissions/dialects/types.js'
import { erc7715v2025 } from '../wallets/erc7715-2025.js'
import { executionPermissions } from '../wallets/executionPermissions.js'

/** The ERC-7715 dialects the dev wallet can speak, by name: `createDevWallet({ dialect })`. */
export type DevWalletDialectName = 'erc7715' | 'erc7715-2025' | 'execution-permissions'

/**
 * The keyleash wallet dialect of each: the methods the dev wallet takes grants and revocations
 * on, and, in tests, the `wallet` option of a keyleash in front of it. Openfort is not here:
 * its own SDK runs over `startOpenfortBackend`, one truth rather than an imitation.
 *
 * @example
 * const provider = withSessionKeys(wallet.provider, { wallet: devWalletDialects['erc7715-2025'] })
 */
export const devWalletDialects: Readonly<Record<DevWalletDialectName, WalletDialect>> = {
  erc7715,
  'erc7715-2025': erc7715v2025,
  'execution-permissions': executionPermissions,
}
