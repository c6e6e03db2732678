import { numberToHex } from 'viem'
import { InvalidParamsError } from '../../errors.js'
import { parseGrantBody } from '../grantRequest.js'
import { encodePermission, parsePermission } from '../permission.js'
import { readAnswers, readArray, readObject, readString } from '../read.js'
import type { Grant, GrantRequest, Signer } from '../types.js'
import { pick } from './erc7715.js'
import type { AppDialect, WalletDialect } from './types.js'

/**
 * ERC-7715 as merged in February 2025: `params` is a list of requests, each with its
 * `chainId`, `address`, `expiry`, `signer` and `permissions` (no policies); the answer is
 * the same list, each with its `context`.
 *
 * @see https://eips.ethereum.org/EIPS/eip-7715
 */
export const erc7715v2025: WalletDialect & AppDialect = {
  name: 'erc7715-2025',
  grantMethod: 'wallet_grantPermissions',
  revokeMethod: 'wallet_revokePermissions',
  batches: true,

  parse(params, rules) {
    const list = readArray(params, 'params')
    if (list.length === 0) throw new InvalidParamsError('params', 'must hold at least one grant request')
    return list.map((value, i) => {
      const body = readObject(value, `[${i}]`)
      if (body.chainId === undefined) throw new InvalidParamsError(`[${i}].chainId`, 'is required in a list of grant requests')
      return parseGrantBody(body, `[${i}].`, rules)
    })
  },

  answer(sessions) {
    return sessions.map((session) => ({
      ...encodeRequest(session),
      ...(session.policies.length > 0 ? { policies: session.policies } : {}),
      context: session.id,
      ...pick(session.walletData, ['accountMeta', 'signerMeta']),
    }))
  },

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
        expiry: typeof answer.expiry === 'number' ? answer.expiry : (requests[i]?.expiry ?? 0),
        permissions: readArray(answer.permissions, `result[${i}].permissions`).map((p, j) => parsePermission(p, `result[${i}].permissions[${j}]`).permission),
        policies: [],
        walletData: pick(answer, ['accountMeta', 'signerMeta']),
      }
    })
  },

  encodeRevoke(session) {
    return [{ permissionContext: session.id }]
  },
}

function encodeRequest(request: Pick<GrantRequest, 'chainId' | 'account' | 'expiry' | 'permissions'> & { signer: Signer }) {
  return {
    chainId: numberToHex(request.chainId),
    address: request.account,
    expiry: request.expiry,
    signer: encodeSigner(request.signer),
    permissions: request.permissions.map(encodePermission),
  }
}

/** The 2025 signer shapes: `account` by address, keys with their type. */
function encodeSigner(signer: Signer) {
  switch (signer.type) {
    case 'account':
      return { type: 'account', data: { address: signer.address } }
    case 'key':
      return { type: 'key', data: { type: signer.key.keyType, publicKey: signer.key.publicKey } }
    case 'keys':
      return { type: 'keys', data: { keys: signer.keys.map((key) => ({ type: key.keyType, publicKey: key.publicKey })) } }
    case 'wallet':
      return { type: 'wallet' }
  }
}
