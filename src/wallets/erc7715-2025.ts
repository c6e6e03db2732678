import { InvalidParamsError } from '../errors.js'
import { encodeRequest, erc7715v2025Requests } from '../permissions/dialects/erc7715-2025.js'
import { erc7715, pick } from '../permissions/dialects/erc7715.js'
import type { WalletDialect } from '../permissions/dialects/types.js'
import { parsePermission } from '../permissions/permission.js'
import { readAnswers, readArray, readGrantedExpiry, readString } from '../permissions/read.js'
import type { Grant } from '../permissions/types.js'

/**
 * A wallet that speaks ERC-7715 as merged in February 2025: a list of requests, each with its
 * `chainId`, `address`, `expiry`, `signer` and `permissions` (no policies: a limit is refused,
 * never dropped), granted in one call; the answer is the same list, each with its `context`.
 *
 * @see https://eips.ethereum.org/EIPS/eip-7715
 * @example
 * import { withSessionKeys } from 'keyleash'
 * import { erc7715v2025 } from 'keyleash/wallets'
 *
 * const provider = withSessionKeys(walletProvider, { wallet: erc7715v2025 })
 */
export const erc7715v2025: WalletDialect = {
  name: 'erc7715-2025',
  grantMethod: 'wallet_grantPermissions',
  revokeMethod: 'wallet_revokePermissions',
  batches: true,
  // Its apps ask in the same draft.
  requests: erc7715v2025Requests,
  // What the dev wallet's SessionAccount, which speaks it, holds every session to on chain.
  enforces: ['target', 'selector', 'value', 'spend', 'call-limit', 'expiry'],
  // Its `key` signer names the key's type: a P-256 key travels as `{ type: 'secp256r1', publicKey }`.
  keyTypes: ['secp256k1', 'secp256r1'],

  encode(requests) {
    return requests.map((request, i) => {
      if (request.policies.length > 0)
        throw new InvalidParamsError(`[${i}].policies`, `the wallet speaks ERC-7715 (2025), which cannot carry a ${request.policies[0]?.type} policy`)
      return encodeRequest(request)
    })
  },

  decode(result, requests) {
    return readAnswers(result, requests.length).map((answer, i): Grant => {
      return {
        context: readString(answer.context, `result[${i}].context`),
        expiry: readGrantedExpiry(answer.expiry, `result[${i}].expiry`, requests[i]?.expiry ?? 0),
        permissions: readArray(answer.permissions, `result[${i}].permissions`).map((p, j) => parsePermission(p, `result[${i}].permissions[${j}]`).permission),
        policies: [],
        walletData: pick(answer, ['accountMeta', 'signerMeta']),
      }
    })
  },

  // Every ERC-7715 draft revokes by the grant's context: `[{ permissionContext }]`.
  encodeRevoke: erc7715.encodeRevoke,
  granted: erc7715.granted,
}
