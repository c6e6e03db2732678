import type { Address, Hex, LocalAccount } from 'viem'
import type { SessionKeySigner } from './p256Key.js'
import { InvalidParamsError } from '../errors.js'
import { secp256k1Accounts } from './secp256k1Accounts.js'
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
 * Keys live only in this function's closure, as the viem `LocalAccount` each was turned into
 * once, when stored, keyed by lower-case address: nothing returned holds a private key on any
 * property, so `JSON.stringify` and `util.inspect` of the key store (or of a store built on
 * it) show none. A key leaves only as that account, which keeps the key in its own closure.
 * A P-256 key (`generate(p256Keys())`) is a non-extractable WebCrypto `CryptoKey` held in the
 * process: no one can read its bytes, not even this store.
 *
 * @example
 * import { generatePrivateKey } from 'viem/accounts'
 * const keys = memoryKeyStore()
 * const address = await keys.import(generatePrivateKey())
 * const account = await keys.signer(address)
 * await account?.signMessage({ message: 'hello' })
 */
export function memoryKeyStore(): MemoryKeyStore {
  // The account, not the key: deriving it costs a point multiplication, done once, when the
  // key is stored (it also checks the key), and the account keeps the key in its own closure.
  // Filed under its lower-case address and, since sessions name it so and `signer` runs on
  // every send, under its checksummed one too.
  const accounts = new Map<string, SessionKeySigner>()
  const find = (address: Address) => accounts.get(address) ?? accounts.get(address.toLowerCase())

  function hold(account: SessionKeySigner): Address {
    accounts.set(account.address.toLowerCase(), account)
    accounts.set(account.address, account)
    return account.address
  }

  return {
    holds(address) {
      return find(address) !== undefined
    },
    keyTypes: ['secp256k1', 'p256'],
    async import(privateKey) {
      return hold(await accountOf(privateKey))
    },
    async generate(keyType) {
      return hold(keyType ? (await keyType.generate()).signer : await accountOf((await secp256k1Accounts()).generatePrivateKey()))
    },
    async has(address) {
      return find(address) !== undefined
    },
    async signer(address) {
      return find(address)
    },
    async delete(address) {
      const account = find(address)
      if (account === undefined) return
      accounts.delete(account.address.toLowerCase())
      accounts.delete(account.address)
    },
  }
}

/**
 * Checks a private key without ever putting it in the error: the message names the rule,
 * not the value (viem's own errors may quote what they were given).
 */
async function accountOf(privateKey: unknown): Promise<LocalAccount> {
  if (typeof privateKey !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(privateKey))
    throw new InvalidParamsError('privateKey', 'must be 32 bytes as 0x-prefixed hex')
  const scalar = BigInt(privateKey)
  if (scalar === 0n || scalar >= curveOrder)
    throw new InvalidParamsError('privateKey', 'must be a valid secp256k1 private key (0 < key < n)')
  return (await secp256k1Accounts()).privateKeyToAccount(privateKey as Hex)
}
