import { InvalidParamsError } from '../errors.js'
import { type Address, type Hex, isAddressEqual, isHex } from 'viem'
import { encodeRequest, executionPermissionRequests, readRules } from '../permissions/dialects/executionPermissions.js'
import { erc7715 } from '../permissions/dialects/erc7715.js'
import type { ResolvedGrantRequest, WalletDialect } from '../permissions/dialects/types.js'
import { encodePermission, parsePermission } from '../permissions/permission.js'
import { readAddress, readAnswers, readArray, readGrantedExpiry, readObject, readString } from '../permissions/read.js'
import { signerAddress } from '../permissions/signer.js'
import type { Grant } from '../permissions/types.js'
import { advancedPermissions } from './advancedPermissions.js'
import { isKindPermission } from '../permissions/advancedTypes.js'

/**
 * A wallet that speaks ERC-7715 as of January 2026, `wallet_requestExecutionPermissions`: one
 * permission per request, granted `from` the user's account `to` a session account, its end an
 * `expiry` rule. The wallet may grant less than asked (`isAdjustmentAllowed`); what it granted
 * is what is kept. It carries MetaMask's Advanced Permissions (`permissionKinds`), which only
 * a provider made with it reads and checks.
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
  // MetaMask's caveat enforcers hold targets, functions, value, spending and expiry; none counts
  // calls, so a call limit is keyleash's alone (under-claiming for the dev wallet, which does).
  enforces: ['target', 'selector', 'value', 'spend', 'expiry'],
  permissionKinds: advancedPermissions,
  // Its apps ask in the same draft.
  requests: executionPermissionRequests,

  encode(requests) {
    return requests.map((request, i) => {
      const to = signerAddress(request.signer)
      if (!to) throw new InvalidParamsError(`[${i}].to`, `the wallet speaks execution permissions, which grant to an account; a ${request.signer.type} signer has none`)
      if (request.policies.length > 0)
        throw new InvalidParamsError(`[${i}].rules`, `the wallet speaks execution permissions, which cannot carry a ${request.policies[0]?.type} policy`)
      const [permission, ...rest] = request.permissions
      if (!permission || rest.length > 0)
        throw new InvalidParamsError(`[${i}].permission`, `the wallet speaks execution permissions, one permission per request; this grant has ${request.permissions.length}`)
      return encodeRequest(request, to, permission, advancedPermissions)
    })
  },

  decode(result, requests) {
    return readAnswers(result, requests.length).map((answer, i): Grant => {
      const at = `result[${i}]`
      const request = requests[i] as ResolvedGrantRequest
      const { expiry, expiryIndex, others } = readRules(answer.rules, `${at}.rules`)
      const rules = advancedPermissions.readRules(others)
      const permission = advancedPermissions.withRules(parsePermission(answer.permission, `${at}.permission`, advancedPermissions).permission, rules, `${at}.rules`)
      // Another type is another grant: nothing of it can be kept under what was asked.
      const asked = request.permissions[0] === undefined ? undefined : encodePermission(request.permissions[0], advancedPermissions).type
      const type = encodePermission(permission, advancedPermissions).type
      if (asked !== undefined && type !== asked) throw new InvalidParamsError(`${at}.permission.type`, `the wallet granted ${type}, not the ${asked} asked for`)
      // A grant for another account or another key is not the one asked for.
      if (answer.from !== undefined && !isAddressEqual(readAddress(answer.from, `${at}.from`), request.account))
        throw new InvalidParamsError(`${at}.from`, `the wallet granted from ${String(answer.from)}, not ${request.account}`)
      const to = signerAddress(request.signer)
      if (answer.to !== undefined && to !== undefined && !isAddressEqual(readAddress(answer.to, `${at}.to`), to))
        throw new InvalidParamsError(`${at}.to`, `the wallet granted to ${String(answer.to)}, not the session account ${to}`)
      if (permission.type === 'spend' && permission.limit.startTime === undefined)
        throw new InvalidParamsError(`${at}.permission.data.startTime`, 'the wallet did not say when the grant starts; keyleash cannot count what is left without it')
      const advanced = isKindPermission(permission)
      return {
        context: readString(answer.context, `${at}.context`),
        expiry: readGrantedExpiry(expiry, `${at}.rules[${expiryIndex}].data.timestamp`, request.expiry),
        permissions: [permission],
        policies: [],
        walletData: {
          ...(answer.delegationManager !== undefined || advanced
            ? { delegationManager: readAddress(answer.delegationManager, `${at}.delegationManager`) }
            : {}),
          ...(answer.dependencies !== undefined ? { dependencies: readDependencies(answer.dependencies, `${at}.dependencies`) } : {}),
        },
      }
    })
  },

  // Every ERC-7715 draft revokes by the grant's context: `[{ permissionContext }]`.
  encodeRevoke: erc7715.encodeRevoke,
  granted: erc7715.granted,
}

/** `[{ factory, factoryData }]`: what deploys the granting account, when it is not yet deployed. */
function readDependencies(value: unknown, field: string): { factory: Address; factoryData: Hex }[] {
  return readArray(value, field).map((raw, i) => {
    const dependency = readObject(raw, `${field}[${i}]`)
    const factoryData = dependency.factoryData
    if (typeof factoryData !== 'string' || !isHex(factoryData, { strict: true }))
      throw new InvalidParamsError(`${field}[${i}].factoryData`, 'must be 0x-hex bytes')
    return { factory: readAddress(dependency.factory, `${field}[${i}].factory`), factoryData }
  })
}
