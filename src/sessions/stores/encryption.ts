import type { Address, Hex } from 'viem'
import { InternalError, InvalidParamsError } from '../../errors.js'
import { recordAuth, type RecordAuth } from './recordAuth.js'

/**
 * The key that encrypts session keys at rest: a WebCrypto AES-GCM `CryptoKey` (best made
 * non-extractable), or 32 raw bytes as a `Uint8Array` or 0x-hex, imported non-extractable.
 */
export type EncryptionKey = CryptoKey | Uint8Array | Hex

/**
 * Seals a private key for storage and opens it again, and authenticates the store's records with
 * a key derived from the same secret. Nothing it throws contains key material.
 */
export type KeyCipher = {
  /** `true` when `seal` writes the key in plaintext (the app said `plaintextKeys: true`). */
  readonly plaintext: boolean
  /** Tags and checks session records; `undefined` without a secret to derive its key from (plaintext). */
  readonly records: RecordAuth | undefined
  seal(address: Address, privateKey: Hex): Promise<string>
  open(address: Address, sealed: string): Promise<Hex>
}

const formatVersion = 1

/**
 * A cipher that seals keys with AES-256-GCM (WebCrypto, so the same code runs in the browser
 * and in Node ≥ 20). Each seal has a fresh 96-bit IV, and the key's address is the additional
 * authenticated data: an entry copied under another address, or altered, does not open.
 * `field` is the option errors name (`previousEncryptionKeys[0]` for a key being rotated out).
 *
 * @example
 * const cipher = await aesGcmCipher(process.env.KEYLEASH_KEY as Hex) // 32 bytes of hex
 * const sealed = await cipher.seal(address, privateKey) // '{"v":1,"alg":"A256GCM","iv":"…","ct":"…"}'
 */
export async function aesGcmCipher(key: EncryptionKey, field = 'encryptionKey'): Promise<KeyCipher> {
  const cryptoKey = await importEncryptionKey(key, field)
  return {
    plaintext: false,
    records: await recordAuth(cryptoKey),
    async seal(address, privateKey) {
      const iv = crypto.getRandomValues(new Uint8Array(12))
      const data = hexToBytes(privateKey.slice(2))
      const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad(address) }, cryptoKey, data)
      data.fill(0)
      return JSON.stringify({ v: formatVersion, alg: 'A256GCM', iv: bytesToHex(iv), ct: bytesToHex(new Uint8Array(sealed)) })
    },
    async open(address, sealed) {
      const entry = parseSealed(address, sealed)
      // Whoever can write to the store could plant a key of their own; with an encryptionKey
      // set, a key is only ever one this cipher sealed.
      if (entry.alg === 'none')
        throw new InternalError(`the key of ${address} is stored in plaintext, but the store has an encryptionKey: refused, as a key planted at rest would be`, {
          hint: 'a key written with plaintextKeys cannot be used under an encryptionKey; import it again, or revoke its session',
        })
      try {
        const opened = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: entry.iv, additionalData: aad(address) }, cryptoKey, entry.ct)
        return `0x${bytesToHex(new Uint8Array(opened))}`
      } catch {
        throw new InternalError(`the key of ${address} does not decrypt: it was sealed with another encryptionKey, or altered`, {
          hint: 'pass the encryptionKey the key was stored with; a key that cannot be opened cannot sign, revoke its session',
        })
      }
    },
  }
}

/**
 * A cipher that stores keys as they are. Only for an app that passed `plaintextKeys: true`
 * (tests, a throwaway dev store). Keys sealed by {@link aesGcmCipher} cannot be opened
 * without their encryption key, and `open` says so.
 *
 * @example
 * const store = fileStore('./sessions.jsonl', { plaintextKeys: true }) // uses plaintextCipher
 */
export const plaintextCipher: KeyCipher = {
  plaintext: true,
  records: undefined,
  async seal(_address, privateKey) {
    return JSON.stringify({ v: formatVersion, alg: 'none', key: privateKey })
  },
  async open(address, sealed) {
    const entry = parseSealed(address, sealed)
    if (entry.alg === 'none') return entry.key
    throw new InternalError(`the key of ${address} is encrypted at rest, and the store was opened with plaintextKeys`, {
      hint: 'open the store with the encryptionKey the key was stored with',
    })
  },
}

/**
 * Imports an {@link EncryptionKey} as a non-extractable AES-GCM `CryptoKey`; a `CryptoKey` is
 * checked and returned as it is. `field` is the option errors name.
 *
 * @example
 * const key = await importEncryptionKey(crypto.getRandomValues(new Uint8Array(32)))
 */
export async function importEncryptionKey(key: EncryptionKey, field = 'encryptionKey'): Promise<CryptoKey> {
  if (typeof CryptoKey !== 'undefined' && key instanceof CryptoKey) {
    if (key.algorithm.name !== 'AES-GCM' || !key.usages.includes('encrypt') || !key.usages.includes('decrypt'))
      throw new InvalidParamsError(field, 'must be an AES-GCM CryptoKey with the encrypt and decrypt usages')
    return key
  }
  const bytes = encryptionKeyBytes(key, field)
  return crypto.subtle.importKey('raw', bytes as Uint8Array<ArrayBuffer>, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt'])
}

/**
 * The 32 raw bytes of an {@link EncryptionKey} given as bytes or hex, checked synchronously
 * so a store factory refuses a bad key at once; `undefined` for a `CryptoKey`. `field` is the
 * option errors name.
 *
 * @example
 * encryptionKeyBytes(new Uint8Array(16)) // throws InvalidParamsError('encryptionKey', …)
 */
export function encryptionKeyBytes(key: EncryptionKey, field = 'encryptionKey'): Uint8Array<ArrayBuffer> | undefined {
  if (typeof CryptoKey !== 'undefined' && key instanceof CryptoKey) return undefined
  const bytes = typeof key === 'string' && /^0x[0-9a-fA-F]{64}$/.test(key) ? hexToBytes(key.slice(2)) : key instanceof Uint8Array ? new Uint8Array(key) : undefined
  if (bytes === undefined || bytes.length !== 32)
    throw new InvalidParamsError(field, 'must be 32 bytes (a Uint8Array or 0x-prefixed hex) or an AES-GCM CryptoKey', {
      hint: 'make one once with crypto.getRandomValues(new Uint8Array(32)) and keep it in your secret manager, not next to the store',
    })
  return bytes
}

type Sealed = { alg: 'none'; key: Hex } | { alg: 'A256GCM'; iv: Uint8Array<ArrayBuffer>; ct: Uint8Array<ArrayBuffer> }

function parseSealed(address: Address, sealed: string): Sealed {
  let entry: unknown
  try {
    entry = JSON.parse(sealed)
  } catch {
    entry = undefined
  }
  if (typeof entry === 'object' && entry !== null && (entry as { v?: unknown }).v === formatVersion) {
    const { alg, key, iv, ct } = entry as Record<string, unknown>
    if (alg === 'none' && typeof key === 'string' && /^0x[0-9a-fA-F]{64}$/.test(key)) return { alg, key: key as Hex }
    if (alg === 'A256GCM' && isHex(iv) && iv.length === 24 && isHex(ct)) return { alg, iv: hexToBytes(iv), ct: hexToBytes(ct) }
  }
  // Never quote the entry: it may be a plaintext key with one character damaged.
  throw new InternalError(`the stored key of ${address} is damaged (not a sealed keyleash key)`, {
    hint: 'the key cannot sign; revoke its session and grant a new one',
  })
}

function aad(address: Address): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(address.toLowerCase())
}

function isHex(value: unknown): value is string {
  return typeof value === 'string' && value.length % 2 === 0 && /^[0-9a-f]*$/.test(value)
}

/** Bytes of unprefixed hex (checked by the caller). */
export function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return bytes
}

/** Unprefixed lower-case hex of `bytes`. */
export function bytesToHex(bytes: Uint8Array): string {
  let hex = ''
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0')
  return hex
}
