import { keccak256, getAddress, slice, type Address, type Hex } from 'viem'
import { InvalidParamsError } from '../errors.js'
import { describe, readAddress, readArray, readHexBytes, readObject, readString } from './read.js'
import type { KeyType, PublicKey, Signer } from './types.js'

// Public key lengths in bytes per ERC-7715 key type: compressed/uncompressed SEC1 points,
// 32-byte Ed25519 and BIP-340 x-only keys, BLS12-381 G1 (48) or G2 (96) points.
const keyLengths: Record<KeyType, readonly number[]> = {
  secp256k1: [33, 65],
  secp256r1: [33, 64, 65],
  ed25519: [32],
  schnorr: [32],
  bls: [48, 96],
}

/**
 * Reads a grant's signer in any draft's shape: `account` (`{ id }` or `{ address }`),
 * `key` (`{ id }` or `{ type, publicKey }`), `keys` (`{ ids }` or `{ keys }`), `wallet`.
 * `undefined` means none was sent: the middleware makes the key.
 *
 * @example
 * parseSigner({ type: 'account', data: { id: '0x…' } }, 'signer') // { type: 'account', address: '0x…' }
 */
export function parseSigner(value: unknown, field: string): Signer | undefined {
  if (value === undefined || value === null) return undefined
  const signer = readObject(value, field)
  const type = signer.type
  if (type === 'wallet') return { type: 'wallet' }
  const data = readObject(signer.data, `${field}.data`)
  if (type === 'account') {
    if (data.address !== undefined) return { type: 'account', address: readAddress(data.address, `${field}.data.address`) }
    return { type: 'account', address: readAddress(data.id, `${field}.data.id`) }
  }
  if (type === 'key') return { type: 'key', key: parseKey(data, `${field}.data`) }
  if (type === 'keys') {
    const listField = data.keys !== undefined ? `${field}.data.keys` : `${field}.data.ids`
    const list = readArray(data.keys ?? data.ids, listField)
    if (list.length === 0) throw new InvalidParamsError(listField, 'must name at least one key')
    return {
      type: 'keys',
      keys: list.map((entry, i) =>
        typeof entry === 'string' ? parseKey({ id: entry }, `${listField}[${i}]`) : parseKey(readObject(entry, `${listField}[${i}]`), `${listField}[${i}]`),
      ),
    }
  }
  throw new InvalidParamsError(`${field}.type`, `${describe(type)} is not a signer type; use account, key, keys or wallet`)
}

function parseKey(data: Readonly<Record<string, unknown>>, field: string): PublicKey {
  if (data.publicKey === undefined) {
    // The June 2024 draft names a key by `id` alone; only a secp256k1 point can be told from its length.
    const publicKey = readHexBytes(data.id, `${field}.id`, keyLengths.secp256k1)
    return { keyType: 'secp256k1', publicKey }
  }
  const keyType = readString(data.type, `${field}.type`)
  const lengths = keyLengths[keyType as KeyType]
  if (!lengths)
    throw new InvalidParamsError(`${field}.type`, `${describe(keyType)} is not a key type; use ${Object.keys(keyLengths).join(', ')}`)
  return { keyType: keyType as KeyType, publicKey: readHexBytes(data.publicKey, `${field}.publicKey`, lengths) }
}

/**
 * The address a signer is filed under, when it has one: an `account`, an uncompressed
 * secp256k1 `key` (the address it signs as), or an uncompressed `secp256r1` key (a P-256 key
 * has no address it signs as: this is the name keyleash's stores and the dev wallet's account
 * give it, made from its point as an EOA's address is). Only these can be session keys the
 * store holds.
 */
export function signerAddress(signer: Signer): Address | undefined {
  if (signer.type === 'account') return signer.address
  if (signer.type === 'key' && (signer.key.keyType === 'secp256k1' || signer.key.keyType === 'secp256r1') && signer.key.publicKey.length === 132)
    return pointAddress(signer.key.publicKey)
  return undefined
}

/**
 * The last 20 bytes of keccak256 of an uncompressed point (`0x04 ‖ x ‖ y`) without its prefix:
 * an EOA's address for a secp256k1 key, the name of a P-256 key.
 *
 * @example
 * pointAddress(publicKey) // '0x…'
 */
export function pointAddress(publicKey: Hex): Address {
  return getAddress(slice(keccak256(slice(publicKey, 1)), 12))
}
