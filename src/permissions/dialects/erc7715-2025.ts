import { numberToHex } from 'viem'
import { InvalidParamsError } from '../../errors.js'
import { assertWithinCap, parseGrantBody } from '../grantRequest.js'
import { encodePermission, encodePolicy } from '../permission.js'
import { readArray, readObject } from '../read.js'
import type { GrantRequest, Signer } from '../types.js'
import { pick } from './erc7715.js'
import type { AppDialect, PermissionKinds } from './types.js'

/**
 * ERC-7715 as merged in February 2025, as an app asks in it: `params` is a list of requests,
 * each with its `chainId`, `address`, `expiry`, `signer` and `permissions` (no policies); the
 * answer is the same list, each with its `context`. Its wallet half, which speaks it to a
 * wallet, is in `src/wallets/`.
 *
 * @see https://eips.ethereum.org/EIPS/eip-7715
 */
export const erc7715v2025Requests: AppDialect = {
  name: 'erc7715-2025',

  parse(params, rules, kinds) {
    const list = readArray(params, 'params')
    if (list.length === 0) throw new InvalidParamsError('params', 'must hold at least one grant request')
    assertWithinCap(list.length, 'params')
    return list.map((value, i) => {
      const body = readObject(value, `[${i}]`)
      if (body.chainId === undefined) throw new InvalidParamsError(`[${i}].chainId`, 'is required in a list of grant requests')
      return parseGrantBody(body, `[${i}].`, rules, kinds)
    })
  },

  answer(sessions, kinds) {
    return sessions.map((session) => ({
      ...encodeRequest(session, kinds),
      // In the wire form the request put them in (beside the permissions): a gas limit as hex, never a bigint a JSON transport cannot carry.
      ...(session.policies.length > 0 ? { policies: session.policies.map(encodePolicy) } : {}),
      context: session.id,
      ...pick(session.walletData, ['accountMeta', 'signerMeta']),
    }))
  },
}

/** One request in the 2025 wire shape: what an app is answered with and what a 2025 wallet is sent. */
export function encodeRequest(request: Pick<GrantRequest, 'chainId' | 'account' | 'expiry' | 'permissions'> & { signer: Signer }, kinds?: PermissionKinds) {
  return {
    chainId: numberToHex(request.chainId),
    address: request.account,
    expiry: request.expiry,
    signer: encodeSigner(request.signer),
    permissions: request.permissions.map((permission) => encodePermission(permission, kinds)),
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
