import type { Address, Hex, LocalAccount } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { InvalidParamsError } from '../errors.js'
import type { KeyStore } from './types.js'

/** A {@link KeyStore} in memory, with a synchronous `holds` so a store can check and write in one step. */
export type MemoryKeyStore = KeyStore & {
  /** Whether a key for `address` is held, answered synchronously. */
  holds(address: Address): boolean
}

// The order of the secp256k1 group: a private key is an integer in [1, n - 1].
const curveOrder = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

/**
 * Session keys held in memory, for {@link memoryStore} and for tests.
 *
 * Keys live only in this function's closure, keyed by lower-case address: nothing
 * returned holds a private key on any property, so `JSON.stringify` and `util.inspect`
 * of the key store (or of a store built on it) show none. A key leaves only as the
 * viem `LocalAccount` that `signer` returns, which keeps the key in its own closure.
 *
 * @example
 * import { generatePrivateKey } from 'viem/accounts'
 * const keys = memoryKeyStore()
 * const address = await keys.import(generatePrivateKey())
 * const account = await keys.signer(address)
 * await account?.signMessage({ message: 'hello' })
 */
export function memoryKeyStore(): MemoryKeyStore {
  const keys = new Map<string, Hex>()
  // Deriving an account costs a point multiplication (~1 ms): do it once per key.
  const signers = new Map<string, LocalAccount>()

  function hold(privateKey: Hex): Address {
    const { address } = accountOf(privateKey)
    keys.set(address.toLowerCase(), privateKey)
    return address
  }

  return {
    holds(address) {
      return keys.has(address.toLowerCase())
    },
    async import(privateKey) {
      return hold(privateKey)
    },
    async generate() {
      return hold(generatePrivateKey())
    },
    async has(address) {
      return keys.has(address.toLowerCase())
    },
    async signer(address) {
      const id = address.toLowerCase()
      const cached = signers.get(id)
      if (cached !== undefined) return cached
      const privateKey = keys.get(id)
      if (privateKey === undefined) return undefined
      const account = privateKeyToAccount(privateKey)
      signers.set(id, account)
      return account
    },
    async delete(address) {
      const id = address.toLowerCase()
      keys.delete(id)
      signers.delete(id)
    },
  }
}

/**
 * Checks a private key without ever putting it in the error: the message names the rule,
 * not the value (viem's own errors may quote what they were given).
 */
function accountOf(privateKey: unknown): LocalAccount {
  if (typeof privateKey !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(privateKey))
    throw new InvalidParamsError('privateKey', 'must be 32 bytes as 0x-prefixed hex')
  const scalar = BigInt(privateKey)
  if (scalar === 0n || scalar >= curveOrder)
    throw new InvalidParamsError('privateKey', 'must be a valid secp256k1 private key (0 < key < n)')
  return privateKeyToAccount(privateKey as Hex)
}
