import { type Address, type Hex, encodeFunctionData, isAddressEqual } from 'viem'
import { InternalError, UnauthorizedError } from '../../errors.js'
import { chainClients } from '../../execution/chainClients.js'
import type { ResolvedGrantRequest, WalletCallContext, WalletDialect, WalletGrant } from '../../permissions/dialects/types.js'
import { signerAddress } from '../../permissions/signer.js'
import type { Grant } from '../../permissions/types.js'
import { assertRevokeChain, sendAdminTransaction } from '../adminTransaction.js'
import { delegated, delegatedKeyId, delegatedKeysAbi } from './abi.js'
import { type KeyRegistration, delegatedEnforces, delegatedKeyRegistration, delegatedRegistrationData } from './keyRegistration.js'

/** What the account holds for a key: `getKey`, the number of its pairs, which of the asked it has, its spend rules. */
type HeldKey = {
  key: { isActive: boolean; masterKey: boolean; isDelegatedControl: boolean; keyType: number; validAfter: number; validUntil: number; limits: number; key: Hex }
  pairs: bigint
  asked: readonly boolean[]
  tokens: readonly Address[]
  spends: readonly (readonly [period: number, limit: bigint, spent: bigint, lastUpdated: bigint])[]
}

/** The dialect's answer to a grant: the registration asked, the transaction, and what the account then holds. */
type RegisteredAnswer = { asked: KeyRegistration; transaction: Hex; held: HeldKey }

/** How long the registration or revocation may take to be on chain, in ms. */
const timeoutMs = 60_000

/**
 * `openfort` for a Delegated Account whose session keys keyleash registers itself: instead of
 * Openfort's session API (which carries a whitelist and a limit only), the owner sends ONE
 * transaction to the account itself (`eth_sendTransaction` through Openfort's provider, a
 * transaction intent the owner signs): the account's `execute` running its key manager's
 * `registerKey` (the key, its call limit and window), a `setCanCall` per function granted on a
 * target, and a `setTokenSpend` per spend limit (ETH and each token), as Openfort's published
 * account takes them. keyleash keeps the session only once the account reads back exactly that;
 * otherwise, and on any later failure, it revokes the key by the same kind of self-call
 * (`revokeKey`, which drops its pairs and spend rules with it). Reads go through Openfort's
 * provider, which forwards them to its chain.
 *
 * @example
 * const dialect = openfortDelegatedRegistration(openfortDialect('Delegated Account'))
 */
export function openfortDelegatedRegistration(base: WalletDialect): WalletDialect {
  const read = (account: Address, context: WalletCallContext) => {
    const { reader } = chainClients(context.inner, context.chainId, undefined)
    return <const name extends 'getKey' | 'hasCanCall' | 'canExecuteLength' | 'spendTokens' | 'tokenSpend'>(functionName: name, args: readonly unknown[]) =>
      reader.readContract({ address: account, abi: delegatedKeysAbi, functionName, args } as never) as Promise<never>
  }

  const readKey = async (account: Address, keyId: Hex, context: WalletCallContext): Promise<HeldKey['key']> => read(account, context)('getKey', [keyId])

  const readHeld = async (account: Address, asked: KeyRegistration, context: WalletCallContext): Promise<HeldKey> => {
    const call = read(account, context)
    const { keyId } = asked
    const [key, pairs, tokens, ...pairsHeld] = await Promise.all([
      call('getKey', [keyId]) as Promise<HeldKey['key']>,
      call('canExecuteLength', [keyId]) as Promise<bigint>,
      call('spendTokens', [keyId]) as Promise<readonly Address[]>,
      ...asked.canCall.map(({ target, selector }) => call('hasCanCall', [keyId, target, selector]) as Promise<boolean>),
    ])
    const spends = await Promise.all(asked.spends.map(({ token }) => call('tokenSpend', [keyId, token]) as Promise<HeldKey['spends'][number]>))
    return { key, pairs, asked: pairsHeld, tokens, spends }
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
      const key = request && signerAddress(request.signer)
      if (!request || !asked || !key || requests.length !== 1) throw new TypeError('a Delegated Account registers one key per call')
      const transaction = await selfCall(request.account, delegatedRegistrationData(request.account, asked), 'registerKey', context, () =>
        context.live({ id: key, signer: request.signer, account: request.account, chainId: request.chainId }),
      )
      return { asked, transaction, held: await readHeld(request.account, asked, context) } satisfies RegisteredAnswer
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
      const keyId = delegatedKeyId(key)
      // The account refuses to revoke a key it does not hold: one already revoked needs nothing.
      if (!(await readKey(grant.account, keyId, context)).isActive) return
      await selfCall(grant.account, encodeFunctionData({ abi: delegatedKeysAbi, functionName: 'revokeKey', args: [keyId] }), 'revokeKey', context)
      if ((await readKey(grant.account, keyId, context)).isActive)
        throw new InternalError(`the Delegated Account ${grant.account} still holds the session key ${key} after revokeKey`, { context: grant.id })
    },
  }
  return dialect
}

/** The grant, if the account holds exactly what was registered; otherwise a refusal naming what differs (and keyleash revokes the key). */
function grantOf(answer: RegisteredAnswer, request: ResolvedGrantRequest): Grant {
  const { asked, held } = answer
  const { key, spends } = held
  const wrongSpend = asked.spends.findIndex(({ limit }, i) => {
    const [period, heldLimit, spent] = spends[i] ?? []
    return period !== delegated.spendForever || heldLimit !== limit || spent !== 0n
  })
  // The first of these that holds names what differs; they are read in the account's order of meaning.
  const mismatches: [differs: boolean, what: () => string][] = [
    [!key.isActive, () => 'no active key'],
    [key.masterKey || key.isDelegatedControl, () => 'a master or custodial key'],
    [key.keyType !== asked.keyData.keyType || key.key.toLowerCase() !== asked.keyData.key.toLowerCase(), () => `another key (type ${key.keyType}, ${key.key})`],
    [key.limits !== asked.keyData.limits, () => `a limit of ${key.limits} calls, asked ${asked.keyData.limits}`],
    [
      key.validAfter !== asked.keyData.validAfter || key.validUntil !== asked.keyData.validUntil,
      () => `the window ${key.validAfter}–${key.validUntil}, asked ${asked.keyData.validAfter}–${asked.keyData.validUntil}`,
    ],
    [
      held.pairs !== BigInt(asked.canCall.length) || held.asked.includes(false),
      () => `${held.pairs} (target, function) pairs, asked ${asked.canCall.map(({ target, selector }) => `${target}:${selector}`).join(', ')}`,
    ],
    [
      held.tokens.length !== asked.spends.length || wrongSpend >= 0,
      () => `spend rules on ${held.tokens.join(', ') || 'nothing'}, asked ${asked.spends.map(({ token, limit }) => `${limit} of ${token}`).join(', ')} for the key's life`,
    ],
  ]
  const differs = mismatches.find(([differs]) => differs)?.[1]()
  if (differs !== undefined) throw new TypeError(`the account holds ${differs} for the session key`)
  return {
    context: signerAddress(request.signer) ?? asked.keyId,
    expiry: key.validUntil,
    permissions: request.permissions,
    policies: request.policies,
    walletData: { transaction: answer.transaction },
  }
}
