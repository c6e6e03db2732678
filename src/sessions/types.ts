import type { Address, Hex } from 'viem'
import { InternalError } from '../errors.js'
import type { EnforcedRule, Enforcer, Grant, Permission, Policy, Signer } from '../permissions/types.js'
import type { SessionKeySigner, SessionKeyType } from './p256Key.js'
import type { P256Keys } from './p256Keys.js'

/** `expired` is never stored: it is derived from `expiry` and the clock. */
export type SessionStatus = 'active' | 'revoked' | 'expired'

/** What a session has used of its limits so far. */
export type SessionUsage = {
  calls: number
  /** Native value sent, in wei. */
  native: bigint
  /** Token amounts moved, by lower-case token address. */
  spent: Readonly<Record<string, bigint>>
  /**
   * What each MetaMask `spend` permission has spent, by its index in `permissions`: in the
   * period `period` (counted from `startTime`; always 0 for streams and allowances, which never
   * reset). Absent until one is used.
   */
  spends?: Readonly<Record<string, SpendUsage>> | undefined
}

/** The signing opt-ins a session was granted under, each `true` or absent. */
export type SessionSigning = { hashes?: true; messages?: true; typedData?: true }

/** What one `spend` permission has spent in its current period (see {@link SessionUsage.spends}). */
export type SpendUsage = { period: number; spent: bigint }

/** A granted session, as kept in a {@link SessionStore}. */
export type Session = {
  /** The permissions context the wallet returned. */
  id: string
  chainId: number
  account: Address
  signer: Signer
  /** Address of the key the store holds for this session; absent when nothing can be signed locally. */
  keyAddress?: Address | undefined
  /** Absolute UNIX seconds. */
  expiry: number
  /** What the wallet GRANTED, which may be less than was asked. */
  permissions: readonly Permission[]
  policies: readonly Policy[]
  /** Whether the app let the wallet grant less than asked, when its dialect says (2026). */
  adjustmentAllowed?: boolean | undefined
  usage: SessionUsage
  status: Exclude<SessionStatus, 'expired'>
  /**
   * The name of the dialect of the wallet that granted it (`WalletDialect.name`): a provider
   * revokes it at the wallet only in that dialect.
   */
  wallet: string
  /**
   * Per rule, who holds the session to it: the wallet (on chain or at its backend), or keyleash
   * alone, before it signs (a key used elsewhere is not held to it). From the wallet dialect's
   * `enforces`, at grant.
   */
  enforcedBy: Readonly<Record<EnforcedRule, Enforcer>>
  walletData?: Grant['walletData']
  /**
   * What the key may sign besides checked calls (the provider's `signing` option when it was
   * granted); absent: nothing. See `SigningOptions` for what each one widens.
   */
  signing?: SessionSigning | undefined
  /** UNIX seconds. */
  createdAt: number
}

/**
 * Where sessions and their keys live. Keys never leave it except as a signer.
 *
 * @example
 * const store = memoryStore()
 * const address = await store.keys.import(generatePrivateKey())
 */
export type SessionStore = {
  /** The session with this id (the permissions context), or `undefined`. */
  get(id: string): Promise<Session | undefined>
  /**
   * Stores a new session. Never replaces one: a session whose id is already stored is refused
   * (`duplicateSession`, -32603) and the stored one is left as it is, with its key; so is
   * a session whose `keyAddress` names a key the store does not hold. Change a stored session
   * with `update`.
   */
  put(session: Session): Promise<void>
  /**
   * Atomic read-modify-write: `change` sees the stored session and returns the new one,
   * or `undefined` to leave it as it is. Resolves to what is stored afterwards. What `change`
   * returns is the store's from then on: return a new object, and do not change it later (the
   * memory store freezes it where it is).
   */
  update(id: string, change: (session: Session) => Session | undefined): Promise<Session | undefined>
  /** Deletes the session, and its key unless another stored session uses it. */
  delete(id: string): Promise<void>
  /** Every stored session, in no particular order. */
  list(): Promise<Session[]>
  keys: KeyStore
}

/** Session private keys. Nothing here ever returns a private key. */
export type KeyStore = {
  /** Stores an app-made key; resolves to its address. */
  import(privateKey: Hex): Promise<Address>
  /**
   * Makes and stores a new key, secp256k1 unless `keyType` (from `p256Keys()`) makes a
   * non-extractable P-256 WebCrypto key, where `keyTypes` lists it; resolves to its address
   * (for a P-256 key, the name it is filed under).
   */
  generate(keyType?: P256Keys): Promise<Address>
  /** The key types `generate` makes here. Absent: `['secp256k1']` (the store cannot hold a `CryptoKey`). */
  keyTypes?: readonly SessionKeyType[] | undefined
  /** Whether a key for `address` is stored (whether or not it opens here). */
  has(address: Address): Promise<boolean>
  /** What signs with the stored key (a viem account, or a P-256 signer), or `undefined` when none is held. */
  signer(address: Address): Promise<SessionKeySigner | undefined>
  /** Deletes the key of `address`; a session that names it signs no more. */
  delete(address: Address): Promise<void>
}

/**
 * The error of a {@link SessionStore.put} whose id is already stored (a wallet that answered a
 * context it had given before): one error, so every store refuses alike and callers can tell it
 * by `data.reason`.
 *
 * @example
 * if (sessions.has(session.id)) throw duplicateSession(session.id)
 */
export function duplicateSession(id: string): InternalError {
  return new InternalError(`session ${id}: a session with this id is already stored, and put never replaces one`, {
    context: id,
    reason: 'duplicate',
    hint: 'change a stored session with update; a wallet that answers a context twice granted nothing new',
  })
}
