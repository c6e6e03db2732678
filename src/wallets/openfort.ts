import { InvalidParamsError } from '../errors.js'
import { decodeAnswer, encodePermissions, encodeSigner } from '../permissions/dialects/erc7715.js'
import type { WalletDialect } from '../permissions/dialects/types.js'
import type { Policy } from '../permissions/types.js'

// Openfort keeps at most this many target contracts per session on-chain.
const maxTargets = 10

/**
 * Openfort's embedded wallet: the June 2024 request shape with its quirks. `expiry` is a
 * duration; only `account` signers and `contract-call` permissions (targets only: it does
 * not enforce selectors, so keyleash does, locally); its one limit is a `call-limit` read
 * from `type.custom` with `data.limit`; sessions are revoked by the session key's address.
 *
 * @example
 * import { withSessionKeys } from 'keyleash'
 * import { openfort } from 'keyleash/wallets'
 *
 * const provider = withSessionKeys(embeddedWalletProvider, { wallet: openfort })
 */
export const openfort: WalletDialect = {
  name: 'openfort',
  grantMethod: 'wallet_grantPermissions',
  revokeMethod: 'wallet_revokePermissions',
  batches: false,

  encode(requests, { now }) {
    return requests.map((request) => {
      if (request.signer.type !== 'account')
        throw new InvalidParamsError('signer.type', `Openfort takes an account signer, not "${request.signer.type}"`)
      request.permissions.forEach((permission, i) => {
        if (permission.type !== 'contract-call')
          throw new InvalidParamsError(`permissions[${i}].type`, `Openfort grants contract-call permissions only, not ${permission.type}`)
      })
      if (request.permissions.length > maxTargets)
        throw new InvalidParamsError('permissions', `Openfort allows at most ${maxTargets} target contracts per session, got ${request.permissions.length}`)
      return {
        expiry: request.expiry - now,
        signer: encodeSigner(request.signer),
        permissions: encodePermissions(request.permissions, request.policies, encodeOpenfortPolicy),
      }
    })
  },

  decode(result, requests) {
    return [decodeAnswer(result, requests)]
  },

  encodeRevoke(session) {
    if (session.signer.type !== 'account') throw new TypeError('an Openfort session always has an account signer')
    return [{ permissionContext: session.signer.address }]
  },

  // Openfort revokes by the session key's address, which the request carried: whatever the
  // answer, the key the grant went to is what to revoke, and its address is the context to give.
  granted(_result, requests) {
    return requests.flatMap((request) => (request.signer.type === 'account' ? [{ id: request.signer.address, signer: request.signer }] : []))
  },
}

// Openfort reads the limit from `type.custom`, so the type must stay an object: viem's
// flattening to a string is how a call limit gets silently lost there.
function encodeOpenfortPolicy(policy: Policy) {
  if (policy.type !== 'call-limit')
    throw new InvalidParamsError('policies', `Openfort cannot enforce a ${policy.type} policy; only call-limit`)
  return { type: { custom: 'call-limit' }, data: { limit: policy.count } }
}
