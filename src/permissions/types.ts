import type { Address, Hex } from 'viem'

/**
 * The key types ERC-7715 names for a `key` signer. keyleash signs with `secp256k1` keys and
 * with `secp256r1` (P-256) keys it holds as non-extractable WebCrypto keys; the others are
 * accepted and kept, never signed for.
 */
export type KeyType = 'secp256k1' | 'secp256r1' | 'ed25519' | 'schnorr' | 'bls'

/** Who the permissions are granted to, whatever the dialect called it. */
export type Signer =
  /** A key held as an EVM address (`account`), the common case. */
  | { type: 'account'; address: Address }
  /** A raw public key. */
  | { type: 'key'; key: PublicKey }
  /** Several raw public keys (a multisig signer). */
  | { type: 'keys'; keys: readonly PublicKey[] }
  /** The wallet manages the key itself: nothing is signed locally. */
  | { type: 'wallet' }

/** A raw public key and the curve it is on. */
export type PublicKey = { keyType: KeyType; publicKey: Hex }

/** What may be called, closed: anything else is kept as `custom`. */
export type Permission =
  | {
      type: 'contract-call'
      /** The contract that may be called; never the account itself. */
      target: Address
      /** 4-byte selectors, lower-case, sorted and unique; `'any'` when the grant named no function. */
      selectors: readonly Hex[] | 'any'
    }
  | {
      type: 'native-transfer'
      /** Total native value (wei) the session may send, across all its calls. */
      allowance: bigint
      /**
       * Who a plain transfer (no calldata) may pay; absent, anyone. Set by a wallet whose account
       * sends value only to the contracts it approved (thirdweb's), so keyleash refuses what the
       * account would.
       */
      payees?: readonly Address[] | undefined
    }
  | {
      type: 'erc20-transfer'
      token: Address
      /** Total token amount the session may move (transfer, transferFrom, approve, increaseAllowance, permit). */
      allowance: bigint
    }
  | {
      type: 'spend'
      /**
       * What is spent: `'native'` (ETH) or an ERC-20 token. Calls under it are plain transfers
       * only, as MetaMask's enforcers allow: ETH with no calldata, or the token's `transfer`.
       */
      token: Address | 'native'
      limit: SpendLimit
      /** The `payee` rule: who may be paid; absent, anyone. */
      payees?: readonly Address[] | undefined
      /** The `redeemer` rule: who may redeem (send the calls); absent, anyone. */
      redeemers?: readonly Address[] | undefined
      /** Why the app asks, shown by the wallet. */
      justification?: string | undefined
    }
  | {
      type: 'revocation'
      /** `erc20`: `erc20-token-revocation` (`approve(x, 0)` on any token); `approvals`: `token-approval-revocation`. */
      kind: 'erc20' | 'approvals'
      /** The revoking calls allowed (for `erc20`, `erc20Approve` alone). */
      methods: RevocationMethods
      redeemers?: readonly Address[] | undefined
      justification?: string | undefined
    }
  | {
      type: 'custom'
      /** The type name the app used. */
      name: string
      data: unknown
      /** A required custom permission is rejected; an optional one is forwarded only, never signed under. */
      required: boolean
    }

/** A rule a session is held to. */
export type EnforcedRule = 'target' | 'selector' | 'value' | 'spend' | 'call-limit' | 'expiry'

/** Who enforces it: the wallet (on chain / its backend) or keyleash alone, before signing. */
export type Enforcer = 'wallet' | 'keyleash'

/**
 * How a `spend` permission's amount is limited, as MetaMask's caveat enforcers count it. Times
 * are UNIX seconds; nothing can be spent before `startTime`, which is `undefined` only in a
 * request that lets the wallet start it when it grants (a granted session always has it).
 * Amounts are in the token's units.
 */
export type SpendLimit = (
  /** `min(maxAmount, initialAmount + amountPerSecond × (now − startTime))` in all, less what was spent. */
  | { kind: 'stream'; initialAmount: bigint; maxAmount: bigint; amountPerSecond: bigint }
  /** `periodAmount` per period; periods run every `periodDuration` seconds from `startTime`, unspent amounts do not carry over. */
  | { kind: 'periodic'; periodAmount: bigint; periodDuration: number }
  /** `amount` in all, from `startTime` on. */
  | { kind: 'allowance'; amount: bigint }
) & { startTime: number | undefined }

/** The revoking calls a `token-approval-revocation` permission allows, by MetaMask's flag names. */
export type RevocationMethods = {
  /** ERC-20 `approve(spender, 0)`. */
  erc20Approve: boolean
  /** ERC-721 `approve(address(0), tokenId)`. */
  erc721Approve: boolean
  /** ERC-721/1155 `setApprovalForAll(operator, false)`. */
  erc721SetApprovalForAll: boolean
  /** Permit2 `approve(token, spender, 0, expiration)`. */
  permit2Approve: boolean
  /** Permit2 `lockdown(pairs)`. */
  permit2Lockdown: boolean
  /** Permit2 `invalidateNonces(token, spender, newNonce)`. */
  permit2InvalidateNonces: boolean
}

/** A limit on the whole session. */
export type Policy =
  | { type: 'call-limit'; count: number }
  | { type: 'rate-limit'; count: number; interval: number }
  | { type: 'gas-limit'; limit: bigint }

/**
 * One grant, whatever dialect the app spoke: what the parsers produce and the
 * encoders consume.
 */
export type GrantRequest = {
  chainId: number
  /** The account that grants (the smart account). */
  account: Address
  /** `undefined` until the middleware makes a key, when the app brought none. */
  signer: Signer | undefined
  /** Absolute UNIX seconds. */
  expiry: number
  permissions: readonly Permission[]
  policies: readonly Policy[]
  /**
   * Whether the wallet may grant less than asked (ERC-7715 2026 `isAdjustmentAllowed`);
   * `undefined` when the app's dialect does not say, which wallets read as allowed.
   */
  adjustmentAllowed?: boolean | undefined
}

/** What the wallet said it granted (it may be less than was asked). */
export type Grant = {
  /** The permissions context: the session's id at the wallet. */
  context: string
  expiry: number
  permissions: readonly Permission[]
  policies: readonly Policy[]
  /** Wallet-specific data the wallet returned and later calls need (factory, delegation manager …). */
  walletData?: Readonly<Record<string, unknown>> | undefined
}
