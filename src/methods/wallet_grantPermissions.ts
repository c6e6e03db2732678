import { grant } from '../sessions/grant.js'
import type { MethodHandler } from './types.js'

/**
 * `wallet_grantPermissions` (ERC-7715): viem's June 2024 single request, or the 2025 list.
 * Checked, forwarded in the inner wallet's dialect, kept, and answered in the app's shape.
 *
 * @see https://eips.ethereum.org/EIPS/eip-7715
 * @example
 * await provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: 86_400, permissions: [...] }] })
 */
export const wallet_grantPermissions: MethodHandler = (params, context) => grant('wallet_grantPermissions', params, context)
