import type { Address } from 'viem'
import { InvalidParamsError, type InternalError } from '../../errors.js'
import { aesGcmCipher, bytesToHex, encryptionKeyBytes, plaintextCipher, type EncryptionKey, type KeyCipher } from './encryption.js'
import type { KeyRing } from './keyRing.js'
import { isAddressShape } from '../../permissions/isAddressShape.js'

/**
 * Called with what a store skipped: a damaged session or key entry (truncated, overwritten,
 * sealed with another key). `error.data` names the store (`store`) and the entry (`entry`);
 * it never holds the entry's content. Every other session stays usable.
 */
export type StoreErrorHandler = (error: InternalError) => void

/** What every persistent store takes. */
export type StoreOptions = {
  /**
   * Separates apps (or origins) that share one store: a Redis, a file, an origin's storage.
   * Sessions under another namespace are invisible. No `/`: it separates the namespace from
   * the scope. Default: `'keyleash'`.
   */
  namespace?: string | undefined
  /**
   * Keep only the sessions of this account and/or chain: `list` and `get` see nothing
   * else, and `put` refuses a session outside it. Each scope is its own partition, so two
   * accounts may even hold sessions with the same id.
   */
  scope?: { account?: Address | undefined; chainId?: number | undefined } | undefined
  /**
   * Encrypts session keys at rest with AES-256-GCM, and authenticates every session record
   * (HMAC-SHA-256, key derived from this one): a record edited at rest is refused, a revoked
   * session stays revoked, and a plaintext key planted at rest is never used. Browser stores
   * default to a non-extractable key of their own, kept in IndexedDB; Node stores require one
   * (or `plaintextKeys: true`). The store never writes it.
   */
  encryptionKey?: EncryptionKey | undefined
  /**
   * Keys the store was sealed with before `encryptionKey`, to rotate it: keys and records sealed
   * under one of these still open (and authenticate), and are sealed again under
   * `encryptionKey` when next written; `store.reseal()` does that for every entry now. The
   * store never writes with them. Each must differ from `encryptionKey` and from the others.
   * Default: none.
   */
  previousEncryptionKeys?: readonly EncryptionKey[] | undefined
  /**
   * Store session keys unencrypted, and records unauthenticated: whoever can write to the
   * storage can change any session. For tests and throwaway dev stores only; say it to mean it.
   */
  plaintextKeys?: boolean | undefined
  /** Where damaged entries are reported (and skipped). Default: a `console.warn` of the message. */
  onError?: StoreErrorHandler | undefined
  /**
   * Seconds past its expiry before `purge()` deletes a session (and its key, and a revoked
   * session's tombstone): a clock set ahead, or one process's clock ahead of another's, must
   * not delete for good a session that still runs. A revoked session is deleted at once. Redis
   * also lets an entry go no earlier than its expiry + the larger of `keepExpired` and this.
   * Default: 86,400 (a day).
   */
  purgeMargin?: number | undefined
}

/**
 * The partition a store reads and writes: the namespace, then the scope. Every backend
 * prefixes what it stores with it.
 *
 * @example
 * partitionOf({ namespace: 'shop', scope: { chainId: 1 } }) // 'shop/c1'
 */
export function partitionOf(options: StoreOptions): string {
  const { namespace = 'keyleash', scope } = options
  if (typeof namespace !== 'string' || namespace === '' || /[\u0000-\u001f]/.test(namespace))
    throw new InvalidParamsError('namespace', 'must be a non-empty string without control characters')
  // `/` joins the parts below: a namespace `shop/c1` would read and write scope { chainId: 1 } of `shop`.
  if (namespace.includes('/')) throw new InvalidParamsError('namespace', `"${namespace}" has a "/", which separates the namespace from the scope; use another character`)
  let partition = namespace
  if (scope?.chainId !== undefined) {
    if (!Number.isSafeInteger(scope.chainId) || scope.chainId <= 0) throw new InvalidParamsError('scope.chainId', 'must be a positive integer')
    partition += `/c${scope.chainId}`
  }
  if (scope?.account !== undefined) {
    if (!isAddressShape(scope.account)) throw new InvalidParamsError('scope.account', 'must be a 0x-prefixed 20-byte address')
    partition += `/a${scope.account.toLowerCase()}`
  }
  return partition
}

/**
 * The ciphers a store seals keys with and reads them with, from its options: `encryptionKey` →
 * AES-GCM, `plaintextKeys: true` → plaintext, neither → `fallback` (browser stores: a key kept
 * in IndexedDB), or, with no fallback (Node stores), an error that says what to pass; each of
 * `previousEncryptionKeys` → an AES-GCM cipher to read with. Checked now, imported on first use
 * (WebCrypto is async, store factories are not).
 *
 * @example
 * const ring = keyRingOf(options, 'fileStore')
 * const sealed = await (await ring()).current.seal(address, privateKey)
 */
export function keyRingOf(options: StoreOptions, storeName: string, fallback?: () => Promise<CryptoKey>): () => Promise<KeyRing> {
  const { encryptionKey, plaintextKeys } = options
  if (plaintextKeys !== undefined && typeof plaintextKeys !== 'boolean') throw new InvalidParamsError('plaintextKeys', 'must be a boolean')
  if (encryptionKey !== undefined && plaintextKeys === true)
    throw new InvalidParamsError('plaintextKeys', 'cannot be true together with an encryptionKey: choose one')
  const previousKeys = previousKeysOf(options)
  let current: () => Promise<KeyCipher>
  if (encryptionKey !== undefined) {
    encryptionKeyBytes(encryptionKey) // refuse a malformed key now, not at the first signature
    current = () => aesGcmCipher(encryptionKey)
  }
  else if (plaintextKeys === true) current = async () => plaintextCipher
  else if (fallback !== undefined) current = currentKeyCipher(fallback)
  else
    throw new InvalidParamsError('encryptionKey', `is required by ${storeName}: session keys are encrypted at rest`, {
      hint: 'pass 32 secret bytes (crypto.getRandomValues(new Uint8Array(32)), kept in your secret manager), or plaintextKeys: true for tests',
    })
  const previous = once(() => Promise.all(previousKeys.map((key, i) => aesGcmCipher(key, `previousEncryptionKeys[${i}]`))))
  const ring = async (): Promise<KeyRing> => ({ current: await current(), previous: await previous() })
  // A key of the app's is fixed: the ring is made once (every read awaits it). A browser store's
  // own key may change (see currentKeyCipher), so its ring is put together again each time.
  return encryptionKey !== undefined || plaintextKeys === true ? once(ring) : ring
}

/** `make`'s promise, made on first use and kept; made again after a failure (e.g. IndexedDB blocked), which may succeed later. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined
  return () => {
    made ??= make().catch((error: unknown) => {
      made = undefined
      throw error
    })
    return made
  }
}

/**
 * `previousEncryptionKeys`, checked: a list of well-formed keys, each given once and none the
 * `encryptionKey` itself (the same key on both sides means the rotation was not made: the
 * new key is missing, so this is refused rather than ignored).
 */
function previousKeysOf({ encryptionKey, plaintextKeys, previousEncryptionKeys }: StoreOptions): readonly EncryptionKey[] {
  if (previousEncryptionKeys === undefined) return []
  if (!Array.isArray(previousEncryptionKeys)) throw new InvalidParamsError('previousEncryptionKeys', 'must be an array of encryption keys (32 bytes, 0x-hex or AES-GCM CryptoKeys)')
  if (plaintextKeys === true && previousEncryptionKeys.length > 0)
    throw new InvalidParamsError('previousEncryptionKeys', 'cannot be used with plaintextKeys: true: keys are only ever rotated to a new encryptionKey')
  const seen = encryptionKey === undefined ? [] : [keyIdentity(encryptionKey)]
  return previousEncryptionKeys.map((key: EncryptionKey, i) => {
    const field = `previousEncryptionKeys[${i}]`
    encryptionKeyBytes(key, field)
    const identity = keyIdentity(key)
    if (seen.includes(identity))
      throw new InvalidParamsError(field, `is ${encryptionKey !== undefined && identity === seen[0] ? 'the encryptionKey itself' : 'given twice'}: list each key the store was sealed with before once, and the new key as encryptionKey`, {
        hint: 'to rotate, pass the new key as encryptionKey and the old one in previousEncryptionKeys',
      })
    seen.push(identity)
    return key
  })
}

/** What makes two keys the same one: their bytes as hex, or the `CryptoKey` object itself (its bytes cannot be read). */
function keyIdentity(key: EncryptionKey): CryptoKey | string {
  const bytes = encryptionKeyBytes(key)
  return bytes === undefined ? (key as CryptoKey) : bytesToHex(bytes)
}

/**
 * A cipher over the key `currentKey` answers now: asked every time, since a browser store's
 * wrapping key changes when site data is cleared (sealing with the old one would make keys
 * that never open again); the cipher is rebuilt only when the key does.
 */
function currentKeyCipher(currentKey: () => Promise<CryptoKey>): () => Promise<KeyCipher> {
  let last: { key: CryptoKey; cipher: Promise<KeyCipher> } | undefined
  return async () => {
    const key = await currentKey()
    if (last?.key !== key) last = { key, cipher: aesGcmCipher(key) }
    return last.cipher
  }
}
