import { InvalidParamsError } from '../errors.js'
import { encodeRequest, expiryRuleIndex, readExpiryRule } from '../permissions/dialects/executionPermissions.js'
import { erc7715, pick } from '../permissions/dialects/erc7715.js'
import type { WalletDialect } from '../permissions/dialects/types.js'
import { parsePermission } from '../permissions/permission.js'
import { readAnswers, readGrantedExpiry, readString } from '../permissions/read.js'
import { signerAddress } from '../permissions/signer.js'
import type { Grant } from '../permissions/types.js'

/**
 * A wallet that speaks ERC-7715 as of January 2026, `wallet_requestExecutionPermissions`: one
 * permission per request, granted `from` the user's account `to` a session account, its end an
 * `expiry` rule. The wallet may grant less than asked (`isAdjustmentAllowed`); what it granted
 * is what is kept.
 *
 * @see https://eips.ethereum.org/EIPS/eip-7715
 * @example
 * import { withSessionKeys } from 'keyleash'
 * import { executionPermissions } from 'keyleash/wallets'
 *
 * const provider = withSessionKeys(walletProvider, { wallet: executionPermissions })
 */
export const executionPermissions: WalletDialect = {
  name: 'execution-permissions',
  grantMethod: 'wallet_requestExecutionPermissions',
  revokeMethod: 'wallet_revokeExecutionPermission',
  batches: true,
  // What the dev wallet's SessionAccount, which speaks it, holds every session to on chain.
  enforces: ['target', 'selector', 'value', 'spend', 'call-limit', 'expiry'],

  encode(requests) {
    return requests.map((request, i) => {
      const to = signerAddress(request.signer)
      if (!to) throw new InvalidParamsError(`[${i}].to`, `the wallet speaks execution permissions, which grant to an account; a ${request.signer.type} signer has none`)
      if (request.policies.length > 0)
        throw new InvalidParamsError(`[${i}].rules`, `the wallet speaks execution permissions, which cannot carry a ${request.policies[0]?.type} policy`)
      const [permission, ...rest] = request.permissions
      if (!permission || rest.length > 0)
        throw new InvalidParamsError(`[${i}].permission`, `the wallet speaks execution permissions, one permission per request; this grant has ${request.permissions.length}`)
      return encodeRequest(request, to, permission)
    })
  },

  decode(result, requests) {
    return readAnswers(result, requests.length).map((answer, i): Grant => {
      const expiry = readExpiryRule(answer.rules, `result[${i}].rules`)
      return {
        context: readString(answer.context, `result[${i}].context`),
        expiry: readGrantedExpiry(expiry, `result[${i}].rules[${expiryRuleIndex(answer.rules)}].data.timestamp`, requests[i]?.expiry ?? 0),
        permissions: [parsePermission(answer.permission, `result[${i}].permission`).permission],
        policies: [],
        walletData: pick(answer, ['dependencies', 'delegationManager']),
      }
    })
  },

  // Every ERC-7715 draft revokes by the grant's context: `[{ permissionContext }]`.
  encodeRevoke: erc7715.encodeRevoke,
  granted: erc7715.granted,
}
