import type { Address, Hex, LocalAccount } from 'viem'
import type { Grant, Permission, Policy, Signer } from '../permissions/types.js'

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
  walletData?: Grant['walletData']
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
  get(id: string): Promise<Session | undefined>
  put(session: Session): Promise<void>
  /**
   * Atomic read-modify-write: `change` sees the stored session and returns the new one,
   * or `undefined` to leave it as it is. Resolves to what is stored afterwards.
   */
  update(id: string, change: (session: Session) => Session | undefined): Promise<Session | undefined>
  delete(id: string): Promise<void>
  list(): Promise<Session[]>
  keys: KeyStore
}

/** Session private keys. Nothing here ever returns a private key. */
export type KeyStore = {
  /** Stores an app-made key; resolves to its address. */
  import(privateKey: Hex): Promise<Address>
  /** Makes and stores a new secp256k1 key; resolves to its address. */
  generate(): Promise<Address>
  has(address: Address): Promise<boolean>
  /** A viem account that signs with the stored key, or `undefined` when none is held. */
  signer(address: Address): Promise<LocalAccount | undefined>
  delete(address: Address): Promise<void>
}
