import { type Address, type Hex, encodeFunctionData, isAddressEqual } from 'viem'
import { InternalError, UnauthorizedError } from '../../errors.js'
import { chainClients } from '../../execution/chainClients.js'
import type { ResolvedGrantRequest, WalletCallContext, WalletDialect, WalletGrant } from '../../permissions/dialects/types.js'
import { signerAddress } from '../../permissions/signer.js'
import type { Grant } from '../../permissions/types.js'
import { assertRevokeChain, sendAdminTransaction } from '../adminTransaction.js'
import { delegatedKeysAbi } from './abi.js'
import { type KeyRegistration, delegatedEnforces, delegatedKeyRegistration } from './keyRegistration.js'

/** What the account holds for a key (`getKey`). */
type HeldKey = {
  active: boolean
  master: boolean
  validAfter: number
  validUntil: number
  limit: number
  ethLimit: bigint
  spendToken: Address
  spendLimit: bigint
  allowedSelectors: readonly Hex[]
}

/** The dialect's answer to a grant: the registration asked, the transaction, and what the account then holds. */
type RegisteredAnswer = { asked: KeyRegistration; transaction: Hex; held: HeldKey }

/** How long the registration or revocation may take to be on chain, in ms. */
const timeoutMs = 60_000

/**
 * `openfort` for a Delegated Account whose session keys keyleash registers itself: instead of
 * Openfort's session API (which carries a whitelist and a limit only), the owner sends ONE
 * transaction to the account itself (`eth_sendTransaction` through Openfort's provider, a
 * transaction intent the owner signs) calling its key manager's `registerKey` with the grant's
 * targets, functions, ETH limit, token spend limit, call limit and window. keyleash keeps the
 * session only once `getKey` reads back exactly that; otherwise, and on any later failure, it
 * revokes the key by the same kind of self-call (`revokeKey`). Reads go through Openfort's
 * provider, which forwards them to its chain.
 *
 * @example
 * const dialect = openfortDelegatedRegistration(openfortDialect('Delegated Account'))
 */
export function openfortDelegatedRegistration(base: WalletDialect): WalletDialect {

  const readKey = async (account: Address, key: Address, context: WalletCallContext): Promise<HeldKey> => {
    const { reader } = chainClients(context.inner, context.chainId, undefined)
    return reader.readContract({ address: account, abi: delegatedKeysAbi, functionName: 'getKey', args: [key] })
  }

  /** The owner's call on its own account, sent through its wallet (one prompt). */
  const selfCall = (account: Address, data: Hex, doing: string, context: WalletCallContext, onChain?: () => void) => {
    if (!isAddressEqual(context.owner, account))
      throw new UnauthorizedError(`the Delegated Account ${account} is its owner's own address, and the wallet's account is ${context.owner}: only the account registers its keys`, {
        hint: 'grant on the connected account',
      })
    const { reader, chain, transport: via } = chainClients(context.inner, context.chainId, undefined)
    return sendAdminTransaction({ to: account, data, doing, inner: context.inner, owner: context.owner, relayer: undefined, reader, chain, transport: via, timeoutMs, onChain })
  }

  const dialect: WalletDialect = {
    ...base,
    grantMethod: 'registerKey',
    revokeMethod: 'revokeKey',
    enforces: ['target', 'selector', 'value', 'spend', 'call-limit', 'expiry'],
    enforcesFor: delegatedEnforces,

    encode: (requests, { now }) => requests.map((request) => delegatedKeyRegistration(request, now)),

    async grant(requests, context) {
      const [request] = requests
      const [asked] = context.params as KeyRegistration[]
      if (!request || !asked || requests.length !== 1) throw new TypeError('a Delegated Account registers one key per call')
      const data = encodeFunctionData({ abi: delegatedKeysAbi, functionName: 'registerKey', args: [asked] })
      const transaction = await selfCall(request.account, data, 'registerKey', context, () =>
        context.live({ id: asked.eoa, signer: request.signer, account: request.account, chainId: request.chainId }),
      )
      return { asked, transaction, held: await readKey(request.account, asked.eoa, context) } satisfies RegisteredAnswer
    },

    decode(result, requests) {
      const [request] = requests
      if (!request || requests.length !== 1) throw new TypeError('a Delegated Account registers one key per call')
      return [grantOf(result as RegisteredAnswer, request)]
    },

    encodeRevoke: (grant) => [signerAddress(grant.signer)],

    async revoke(grant: WalletGrant, context) {
      assertRevokeChain(grant, context)
      const key = signerAddress(grant.signer)
      if (key === undefined) throw new TypeError('a registered Delegated Account key always has an address')
      // The account refuses to revoke a key it does not hold: one already revoked needs nothing.
      if (!(await readKey(grant.account, key, context)).active) return
      await selfCall(grant.account, encodeFunctionData({ abi: delegatedKeysAbi, functionName: 'revokeKey', args: [key] }), 'revokeKey', context)
      if ((await readKey(grant.account, key, context)).active)
        throw new InternalError(`the Delegated Account ${grant.account} still holds the session key ${key} after revokeKey`, { context: grant.id })
    },
  }
  return dialect
}

/** The grant, if the account holds exactly what was registered; otherwise a refusal naming what differs (and keyleash revokes the key). */
function grantOf(answer: RegisteredAnswer, request: ResolvedGrantRequest): Grant {
  const { asked, held } = answer
  const selectors = (list: readonly Hex[]) => [...list].map((s) => s.toLowerCase()).sort().join()
  const differs = !held.active
    ? 'no active key'
    : held.master
      ? 'a master key (any call, any target, any value)'
      : held.limit !== asked.limit
        ? `a limit of ${held.limit} calls, asked ${asked.limit}`
        : held.validAfter !== asked.validAfter || held.validUntil !== asked.validUntil
          ? `the window ${held.validAfter}–${held.validUntil}, asked ${asked.validAfter}–${asked.validUntil}`
          : held.ethLimit !== asked.ethLimit
            ? `an ETH limit of ${held.ethLimit} wei, asked ${asked.ethLimit}`
            : !isAddressEqual(held.spendToken, asked.spendToken) || held.spendLimit !== asked.spendLimit
              ? `a spend limit of ${held.spendLimit} on ${held.spendToken}, asked ${asked.spendLimit} on ${asked.spendToken}`
              : selectors(held.allowedSelectors) !== selectors(asked.allowedSelectors)
                ? `the functions ${selectors(held.allowedSelectors) || 'none'}, asked ${selectors(asked.allowedSelectors)}`
                : undefined
  if (differs !== undefined) throw new TypeError(`the account holds ${differs} for the session key`)
  return {
    context: asked.eoa,
    expiry: held.validUntil,
    permissions: request.permissions,
    policies: request.policies,
    walletData: { transaction: answer.transaction },
  }
}
