import { type Address, type Hex, concat, getAddress, hashTypedData, hexToBytes, isAddressEqual, numberToHex, recoverAddress } from 'viem'
import { InvalidParamsError } from '../errors.js'
import { describe, readAddress, readArray, readHexBytes, readObject, readQuantity } from '../permissions/read.js'
import { pointAddress, signerAddress } from '../permissions/signer.js'
import { SESSION_ACCOUNT_DOMAIN, executeTypedData, executeTypes, randomExecuteNonce } from './contracts.js'
import type { DevWalletContext } from './context.js'
import { checkAccount, checkCapabilities, checkChain, readCalls, recordBundle, sent, wireCalls } from './calls.js'

/**
 * The key that will sign a prepared batch: an address, a secp256k1 public key (or its
 * address), or a P-256 public key (`p256`, its uncompressed point), which signs as WebCrypto
 * does: SHA-256 of the digest's 32 bytes, then ECDSA, `r ‖ s`.
 */
export type PreparedCallsKey = { type: 'secp256k1' | 'address' | 'p256'; publicKey: Hex }

/** What the wallet hands back to be signed and returned as it is (opaque to the app). */
export type PreparedCallsContext = { calls: { to: Address; value: Hex; data: Hex }[]; nonce: Hex }

/** ERC-7836 `wallet_prepareCalls` params[0]. */
export type PrepareCallsParameters = {
  version?: string
  from: Address
  chainId: Hex
  calls: { to: Address; data?: Hex; value?: Hex }[]
  capabilities?: Record<string, unknown>
  key: PreparedCallsKey
}

/** ERC-7836 `wallet_prepareCalls` result. */
export type PrepareCallsReturnType = {
  chainId: Hex
  context: PreparedCallsContext
  /** The EIP-712 digest of `execute(calls, nonce)`: the key signs it RAW (`sign({ hash: digest })`), no EIP-191 prefix. */
  digest: Hex
  /** The same as typed data, JSON-safe (uint256 values as hex): `signTypedData(typedData)` gives the same signature. */
  typedData: {
    domain: { name: string; version: string; chainId: number; verifyingContract: Address }
    types: typeof executeTypes
    primaryType: 'Execute'
    message: { calls: { target: Address; value: Hex; data: Hex }[]; nonce: Hex }
  }
  key: PreparedCallsKey
  capabilities: Record<string, never>
}

/** ERC-7836 `wallet_sendPreparedCalls` params[0]. */
export type SendPreparedCallsParameters = {
  chainId?: Hex
  context: PreparedCallsContext
  key: PreparedCallsKey
  signature: Hex
}

/**
 * ERC-7836 `wallet_prepareCalls`: a batch for the account, ready for a key the app holds to
 * sign. No prompt: preparing commits to nothing, and the SessionAccount decides on-chain what
 * the key may do. The nonce is random (the account's nonces are unordered), so batches may be
 * prepared concurrently.
 *
 * @see https://eips.ethereum.org/EIPS/eip-7836
 * @example
 * const prepared = await provider.request({ method: 'wallet_prepareCalls', params: [{ from: account, chainId: '0x7a69', calls: [{ to: nft, data }], key: { type: 'address', publicKey: sessionKey.address } }] })
 * const signature = await sessionKey.sign({ hash: prepared.digest })
 */
export async function prepareCalls(params: unknown, context: DevWalletContext): Promise<PrepareCallsReturnType> {
  const request = readObject(readArray(params, 'params')[0], 'params[0]')
  checkAccount('wallet_prepareCalls', readAddress(request.from, 'params[0].from'), context)
  checkChain(request.chainId, 'params[0].chainId', context)
  // ERC-7836 lets the caller name the permissions context the key signs under (keyleash's
  // executor does). The account checks the key's session on-chain, so it needs nothing more.
  const { permissions: _, ...capabilities } = request.capabilities === undefined ? {} : readObject(request.capabilities, 'params[0].capabilities')
  checkCapabilities(capabilities, 'params[0].capabilities')
  const calls = readCalls(request.calls, 'params[0].calls')
  const key = readKey(request.key, 'params[0].key')
  const nonce = randomExecuteNonce()
  const typedData = executeTypedData(context.account, context.chainId, calls, nonce)
  const wire = wireCalls(calls)
  return {
    chainId: numberToHex(context.chainId),
    context: { calls: wire, nonce: numberToHex(nonce) },
    digest: hashTypedData(typedData),
    typedData: {
      domain: { ...SESSION_ACCOUNT_DOMAIN, chainId: context.chainId, verifyingContract: context.account },
      types: executeTypes,
      primaryType: 'Execute',
      message: { calls: wire.map((c) => ({ target: c.to, value: c.value, data: c.data })), nonce: numberToHex(nonce) },
    },
    key: key.wire,
    capabilities: {},
  }
}

/**
 * ERC-7836 `wallet_sendPreparedCalls`: checks the signature is the named key's over the
 * prepared batch, simulates `execute(calls, nonce, signature)` (a revert is a -32003 whose
 * message names the decoded error, e.g. `execution reverted: SelectorNotAllowed(0x…, 0x12345678)`,
 * with `data: { errorName, args, data }`; nothing is sent), then relays it. No prompt: the
 * account enforces the key's session. Answers `{ id }` for `wallet_getCallsStatus`, once mined.
 *
 * @see https://eips.ethereum.org/EIPS/eip-7836
 * @example
 * const { id } = await provider.request({ method: 'wallet_sendPreparedCalls', params: [{ context: prepared.context, key: prepared.key, signature }] })
 */
export async function sendPreparedCalls(params: unknown, context: DevWalletContext): Promise<{ id: string }> {
  const request = readObject(readArray(params, 'params')[0], 'params[0]')
  if (request.chainId !== undefined) checkChain(request.chainId, 'params[0].chainId', context)
  const prepared = readObject(request.context, 'params[0].context')
  const calls = readCalls(prepared.calls, 'params[0].context.calls')
  const nonce = readQuantity(prepared.nonce, 'params[0].context.nonce')
  const key = readKey(request.key, 'params[0].key')
  const signature = readHexBytes(request.signature, 'params[0].signature', [64, 65])
  const digest = hashTypedData(executeTypedData(context.account, context.chainId, calls, nonce))
  if (key.wire.type === 'p256') {
    if (!(await verifiesP256(key.wire.publicKey, digest, signature)))
      throw new InvalidParamsError('params[0].signature', `is not the P-256 key ${key.address}'s signature over this context's digest (64 bytes r ‖ s over SHA-256 of the digest, as WebCrypto signs it)`)
    // The account reads a P-256 signature as `key ‖ r ‖ s`: the key's address names its point.
    return { id: recordBundle(context, await sent(context, context.relay.send(calls, nonce, concat([key.address, signature])))) }
  }
  let signer: Address
  try {
    signer = await recoverAddress({ hash: digest, signature })
  } catch {
    throw new InvalidParamsError('params[0].signature', 'is not a secp256k1 signature')
  }
  if (!isAddressEqual(signer, key.address))
    throw new InvalidParamsError('params[0].signature', `was made by ${signer}, not by the key ${key.address} over this context's digest; sign the digest raw (sign({ hash: digest }))`)
  return { id: recordBundle(context, await sent(context, context.relay.send(calls, nonce, signature))) }
}

/** A key as the app names it, with the address the account will recover. */
function readKey(value: unknown, field: string): { address: Address; wire: PreparedCallsKey } {
  const key = readObject(value, field)
  const type = key.type
  if (type === 'p256') {
    const publicKey = readHexBytes(key.publicKey, `${field}.publicKey`, [65])
    return { address: pointAddress(publicKey), wire: { type, publicKey } }
  }
  if (type !== 'secp256k1' && type !== 'address')
    throw new InvalidParamsError(`${field}.type`, `${describe(type)} is not a key type the account can check; use secp256k1, p256 or address`)
  // A 20-byte value is the key's address; a secp256k1 key may also come as its uncompressed point.
  const bytes = readHexBytes(key.publicKey, `${field}.publicKey`, type === 'address' ? [20] : [20, 65])
  const address = bytes.length === 42 ? getAddress(bytes) : signerAddress({ type: 'key', key: { keyType: 'secp256k1', publicKey: bytes } })
  if (address === undefined) throw new InvalidParamsError(`${field}.publicKey`, 'is not an uncompressed secp256k1 public key')
  return { address, wire: { type, publicKey: key.publicKey as Hex } }
}

/** Whether `signature` (r ‖ s) is the P-256 key `publicKey`'s over SHA-256 of `digest`, checked by WebCrypto, as the account's precompile will. */
async function verifiesP256(publicKey: Hex, digest: Hex, signature: Hex): Promise<boolean> {
  if (signature.length !== 130) return false
  try {
    const key = await crypto.subtle.importKey('raw', hexToBytes(publicKey) as Uint8Array<ArrayBuffer>, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
    return await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, hexToBytes(signature) as Uint8Array<ArrayBuffer>, hexToBytes(digest) as Uint8Array<ArrayBuffer>)
  } catch {
    // A point not on the curve.
    return false
  }
}
