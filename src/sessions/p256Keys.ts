import type { Executor } from '../execution/types.js'
import { InvalidParamsError } from '../errors.js'
import { generateP256Key, p256Signer, type P256KeyPair, type P256Signer } from './p256Key.js'
import type { SessionStore } from './types.js'

/**
 * The `keyType` option for P-256 session keys, made by {@link p256Keys}: what makes the keys,
 * handed to the store's `KeyStore.generate`, so that an app that keeps to secp256k1 does not
 * bundle P-256 key generation or its checks.
 */
export type P256Keys = {
  readonly keyType: 'p256'
  /** A new non-extractable key pair, and its signer. */
  generate(): Promise<{ pair: P256KeyPair; signer: P256Signer }>
  /** Refuses, when the provider is made, a store that cannot keep the key or an executor that cannot sign with it. */
  check(options: { store?: SessionStore | undefined; executor?: Executor | undefined }): void
}

/**
 * P-256 session keys: every key keyleash makes is a WebCrypto ECDSA P-256 key whose private
 * bytes nothing can read. Pass it as `keyType`; it needs a store that keeps a `CryptoKey`
 * (`memoryStore`, `indexedDbStore`), an executor that signs with it, and a wallet that takes
 * `secp256r1` keys.
 *
 * @example
 * import { p256Keys, withSessionKeys } from 'keyleash'
 * import { erc7715v2025 } from 'keyleash/wallets'
 * const provider = withSessionKeys(window.ethereum, { wallet: erc7715v2025, keyType: p256Keys() })
 */
export function p256Keys(): P256Keys {
  return Object.freeze({
    keyType: 'p256',
    async generate() {
      const pair = await generateP256Key()
      return { pair, signer: p256Signer(pair) }
    },
    check({ store, executor }) {
      if (store !== undefined && !store.keys.keyTypes?.includes('p256'))
        throw new InvalidParamsError('keyType', "is p256Keys(), but this store cannot keep a non-extractable CryptoKey: web storage holds only strings, and a file or Redis cannot hold a key that never leaves the process", {
          hint: "use memoryStore() or indexedDbStore(), or keyType 'secp256k1'",
        })
      if (executor?.secp256k1Only !== undefined) throw new InvalidParamsError('keyType', `is p256Keys(), but ${executor.secp256k1Only}`)
    },
  } satisfies P256Keys)
}
