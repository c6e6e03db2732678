import { type Address, BaseError, type Hex, type LocalAccount, type PublicClient, type Transport, encodeFunctionData } from 'viem'
import { InternalError, InvalidParamsError, UnauthorizedError } from '../../errors.js'
import { chainClients } from '../../execution/chainClients.js'
import type { ResolvedGrantRequest, WalletCallContext, WalletDialect, WalletGrant } from '../../permissions/dialects/types.js'
import type { Grant } from '../../permissions/types.js'
import { assertRevokeChain, sendAdminTransaction } from '../adminTransaction.js'
import { accountPermissionsAbi } from './abi.js'
import {
  type SignerPermissions,
  grantsNativeValue,
  heldPermissions,
  revokedSignerPermissions,
  signerPermissionRequest,
  signerPermissionTypedData,
  toSignerPermissions,
} from './permissionRequest.js'

/** Options of {@link thirdweb}. */
export type ThirdwebOptions = {
  /**
   * A funded account the app names that sends `setPermissionsForSigner` (the owner's signature
   * is in it, so anyone may): the owner then signs once and sends nothing. Default: the owner's
   * wallet sends it (`eth_sendTransaction`, a second prompt).
   */
  relayer?: LocalAccount | undefined
  /** Where the account is read and the relayer's transaction sent. Default: the wrapped wallet. */
  transport?: Transport | undefined
  /** How long to wait for `setPermissionsForSigner` to be on chain, in ms. Default: 60 000. */
  timeoutMs?: number | undefined
}

/** The wallet's answer to a grant: what the account holds for the key, read back after the transaction. */
type ThirdwebAnswer = {
  uid: Hex
  transaction: Hex
  held: { approvedTargets: readonly Address[]; nativeTokenLimitPerTransaction: bigint; startTimestamp: bigint; endTimestamp: bigint }
}

/**
 * thirdweb's smart account (`Account` of `@thirdweb-dev/contracts`), which speaks no ERC-7715:
 * keyleash turns the grant into the account's `SignerPermissionRequest` (approved targets, a
 * native value limit per call, a validity window), asks the owner's wallet for ONE
 * `eth_signTypedData_v4`, sends `setPermissionsForSigner` (from the owner's wallet, or from the
 * `relayer` the app names), and keeps the session only once `getPermissionsForSigner` reads back
 * exactly what was asked; otherwise it revokes it on chain. The account enforces targets, the
 * expiry and the value per call (`value` is the account's only when no value is granted: a total
 * is keyleash's); selectors, call limits and token amounts are keyleash's alone
 * (`Session.enforcedBy`). A revoke is a second owner signature, for a request with no targets
 * and a window ended at 0. Grant on the smart account (the `account` option of
 * `withSessionKeys`); the wallet's connected account must be its admin. Sending goes through
 * ERC-4337: `erc4337Executor` with `thirdwebAccount()`.
 *
 * @example
 * import { withSessionKeys } from 'keyleash'
 * import { erc4337Executor, thirdweb, thirdwebAccount } from 'keyleash/wallets'
 *
 * const provider = withSessionKeys(ownerWallet, {
 *   account: smartAccountAddress,
 *   wallet: thirdweb({ relayer }),
 *   executor: erc4337Executor({ account: thirdwebAccount(), bundler: bundlerUrl }),
 * })
 */
export function thirdweb(options: ThirdwebOptions = {}): WalletDialect {
  const { relayer, transport, timeoutMs = 60_000 } = options
  const clientsOf = (context: WalletCallContext) => chainClients(context.inner, context.chainId, transport)

  /** Signs `permissions` by the owner (the prompt) and sets them on `account`; resolves to the request's uid, the transaction and what the account then holds. */
  const setPermissions = async (permissions: SignerPermissions, account: Address, context: WalletCallContext, onChain?: (uid: Hex) => void) => {
    const { reader, chain, transport: via } = clientsOf(context)
    const request = signerPermissionRequest(permissions, context.now)
    const signature = (await context.inner.request({
      method: 'eth_signTypedData_v4',
      params: [context.owner, signerPermissionTypedData(request, account, context.chainId)],
    })) as Hex
    const data = encodeFunctionData({ abi: accountPermissionsAbi, functionName: 'setPermissionsForSigner', args: [request, signature] })
    const transaction = await sendAdminTransaction({ to: account, data, doing: 'setPermissionsForSigner', inner: context.inner, owner: context.owner, relayer, reader, chain, transport: via, timeoutMs, onChain: onChain && (() => onChain(request.uid)) })
    // Read back, not assumed: what the account holds is what the session is kept (or revoked) on.
    const held = await reader.readContract({ address: account, abi: accountPermissionsAbi, functionName: 'getPermissionsForSigner', args: [permissions.signer] })
    return { uid: request.uid, transaction, held }
  }

  const dialect: WalletDialect = {
    name: 'thirdweb',
    grantMethod: 'setPermissionsForSigner',
    revokeMethod: 'setPermissionsForSigner',
    batches: false,
    enforces: ['target', 'value', 'expiry'],
    enforcesFor: (request) => (grantsNativeValue(request) ? ['target', 'expiry'] : ['target', 'value', 'expiry']),
    requiresExecutor: 'erc4337Executor({ account: thirdwebAccount(), bundler }) from keyleash/wallets',

    encode: (requests) => requests.map(toSignerPermissions),

    async grant(requests, context) {
      const [request] = requests
      const [permissions] = context.params as SignerPermissions[]
      if (!request || !permissions) throw new TypeError('thirdweb grants one session per call')
      await assertCanGrant(request, permissions.signer, context, clientsOf(context).reader)
      return (await setPermissions(permissions, request.account, context, (id) =>
        context.live({ id, signer: request.signer, account: request.account, chainId: request.chainId }),
      )) satisfies ThirdwebAnswer
    },

    decode(result, requests) {
      const [request] = requests
      if (!request || requests.length !== 1) throw new TypeError('thirdweb grants one session per call')
      return [grantOf(result as ThirdwebAnswer, request)]
    },

    encodeRevoke: (grant) => [revokedSignerPermissions(grant.signer)],

    async revoke(grant: WalletGrant, context) {
      assertRevokeChain(grant, context)
      const [permissions] = dialect.encodeRevoke(grant) as [SignerPermissions]
      const { held } = await setPermissions(permissions, grant.account, context)
      if (held.approvedTargets.length > 0 || held.endTimestamp > 0n)
        throw new InternalError(`the account ${grant.account} still holds the session key ${permissions.signer} after the revoke`, { context: grant.id })
    },
  }
  return dialect
}

/**
 * Before the owner is asked: the wallet's account administers `request.account` (a thirdweb
 * account), and the key is neither an admin (a key with no limits) nor already a live session
 * key there (setting it again would replace that session's permissions).
 */
async function assertCanGrant(request: ResolvedGrantRequest, key: Address, context: WalletCallContext, reader: PublicClient): Promise<void> {
  const read = { address: request.account, abi: accountPermissionsAbi } as const
  let ownerIsAdmin: boolean, keyIsAdmin: boolean, held: ThirdwebAnswer['held']
  try {
    ;[ownerIsAdmin, keyIsAdmin, held] = await Promise.all([
      reader.readContract({ ...read, functionName: 'isAdmin', args: [context.owner] }),
      reader.readContract({ ...read, functionName: 'isAdmin', args: [key] }),
      reader.readContract({ ...read, functionName: 'getPermissionsForSigner', args: [key] }),
    ])
  } catch (error) {
    // A node that did not answer says nothing about the account; only an answer does.
    const down = error instanceof BaseError && error.walk((cause) => /^(HttpRequest|Timeout|WebSocketRequest)Error$/.test((cause as Error).name))
    if (down instanceof BaseError)
      throw new InternalError(`${request.account} could not be read: ${down.shortMessage}`, { hint: 'check the node (the transport option)' })
    throw new InvalidParamsError('address', `${request.account} is not a thirdweb account (it answers no isAdmin / getPermissionsForSigner)`, {
      hint: "grant on the thirdweb smart account: pass it as withSessionKeys's account option",
    })
  }
  if (!ownerIsAdmin)
    throw new UnauthorizedError(`the wallet's account ${context.owner} is not an admin of the thirdweb account ${request.account}: only an admin signs a session key's permissions`, {
      hint: "connect the account's owner",
    })
  if (keyIsAdmin) throw new InvalidParamsError('signer', `${key} is an admin of the account, a key without limits; grant to a session key`)
  if (held.approvedTargets.length > 0 && held.endTimestamp > BigInt(context.now))
    throw new InvalidParamsError('signer', `${key} already holds a session on the account until ${held.endTimestamp}; revoke that one first, or grant to a new key (the default)`)
}

/** What was granted, if the account holds exactly what was asked; otherwise a refusal naming what differs (and keyleash revokes it). */
function grantOf(answer: ThirdwebAnswer, request: ResolvedGrantRequest): Grant {
  const asked = toSignerPermissions(request)
  const { held } = answer
  const set = (targets: readonly Address[]) => [...new Set(targets.map((target) => target.toLowerCase()))].sort().join(',')
  const differs =
    set(held.approvedTargets) !== set(asked.approvedTargets)
      ? `approved targets ${set(held.approvedTargets) || 'none'}, asked ${set(asked.approvedTargets)}`
      : held.nativeTokenLimitPerTransaction !== asked.nativeTokenLimitPerTransaction
        ? `a native limit per call of ${held.nativeTokenLimitPerTransaction} wei, asked ${asked.nativeTokenLimitPerTransaction}`
        : held.startTimestamp !== asked.permissionStartTimestamp || held.endTimestamp !== asked.permissionEndTimestamp
          ? `the window ${held.startTimestamp}–${held.endTimestamp}, asked ${asked.permissionStartTimestamp}–${asked.permissionEndTimestamp}`
          : undefined
  if (differs !== undefined) throw new TypeError(`the account holds ${differs} for the session key`)
  return {
    context: answer.uid,
    expiry: Number(held.endTimestamp),
    // The account holds every target asked: every permission stands, its keyleash-only parts kept by keyleash.
    permissions: heldPermissions(request.permissions, held.approvedTargets),
    policies: request.policies,
    walletData: { transaction: answer.transaction },
  }
}
