/**
 * keyleash: session keys for any EIP-1193 wallet. Wrap the wallet's provider; grants made
 * through it (ERC-7715, any draft) are checked, forwarded in the wallet's dialect and kept,
 * and calls that fit a live session are signed with its key, locally, without a prompt.
 *
 * @example
 * import { createWalletClient, custom } from 'viem'
 * import { erc7715Actions } from 'viem/experimental'
 * import { withSessionKeys } from 'keyleash'
 *
 * const provider = withSessionKeys(embeddedWalletProvider)
 * const client = createWalletClient({ transport: custom(provider) }).extend(erc7715Actions())
 *
 * @module
 */
export { withSessionKeys } from './provider.js'
export { defaultMaxExpiry } from './resolveOptions.js'
export type { KeyleashEventMap, KeyleashProvider } from './provider.js'
export type { AllowList, ExpiryMode, KeyleashOptions, SigningOptions } from './options.js'
// Opt-ins: an app bundles their code only when it imports them.
export { sessionSigning } from './permissions/sessionSigning.js'
export type { SessionSigningOption } from './permissions/sessionSigning.js'
export { autoRouting } from './sessions/autoRouting.js'
export { allowList } from './permissions/allowList.js'
export type { AllowListOption } from './permissions/allowList.js'
export { walletEnforcement } from './permissions/enforcement.js'
export type { WalletEnforcement } from './permissions/enforcement.js'
export type { AutoRouting } from './sessions/autoRouting.js'
export type {
  ContractCallPermissionRequest,
  CustomPermissionRequest,
  Erc20TokenTransferPermissionRequest,
  ExecutionPermissionAnswer,
  ExecutionPermissionRequest,
  GrantAnswer2024,
  GrantAnswer2025,
  GrantedPermission,
  GrantRequest2024,
  GrantRequest2025,
  KeyleashRequest,
  NativeTokenTransferPermissionRequest,
  PermissionPolicyRequest,
  PermissionRequest,
  PermissionRequestBase,
  Quantity,
  SendCallsRequest,
} from './rpcSchema.js'
export type { RevokeOptions } from './sessions/revoke.js'
export type { PurgeOptions } from './sessions/stores/purge.js'
export type { Eip1193Provider, RequestArguments } from './types.js'

export { InternalError, InvalidParamsError, InvalidRequestError, KeyleashError, UnauthorizedError } from './errors.js'
export type { CodedError, KeyleashErrorData } from './errors.js'

export { memoryStore } from './sessions/memoryStore.js'
export { memoryKeyStore } from './sessions/keyStore.js'
export type { MemoryKeyStore } from './sessions/keyStore.js'
export type { P256KeyPair, P256Signer, SessionKeySigner, SessionKeyType } from './sessions/p256Key.js'
export { p256Keys } from './sessions/p256Keys.js'
export type { P256Keys } from './sessions/p256Keys.js'
export type { KeyStore, Session, SessionSigning, SessionStatus, SessionStore, SessionUsage, SpendUsage } from './sessions/types.js'
export type { SessionFilter, SessionInfo, SessionInfoStatus, SessionsApi } from './sessions/api.js'
// The persistent stores themselves live in `keyleash/browser` and `keyleash/node`.
export { purgeSessions } from './sessions/stores/purge.js'
export type { PersistentStore, ResealReturnType } from './sessions/stores/persistentStore.js'
export type { StoreErrorHandler, StoreOptions } from './sessions/stores/options.js'
export type { EncryptionKey } from './sessions/stores/encryption.js'

export { checkScope } from './permissions/scope.js'
export type { CheckScopeOptions, CheckScopeReturnType, ReasonCode, ScopeCall, ScopeReason, ScopeReasonDetails } from './permissions/scope.js'
export type { EnforcedRule, Enforcer, GrantRequest, Grant, KeyType, Permission, Policy, PublicKey, RevocationMethods, Signer, SpendLimit } from './permissions/types.js'
// The wallet dialects themselves are in `keyleash/wallets`; these types are for writing one's own.
// The request drafts an app may ask in besides viem's June 2024 one: passed in `requests`.
export { erc7715v2025Requests, executionPermissionRequests } from './permissions/dialects/index.js'
export type { AppDialect, AppDialectName } from './permissions/dialects/types.js'
export type { GrantDraft } from './permissions/grantRequest.js'
export type { ExpiryRules } from './permissions/expiry.js'
export type { CodecContext, KindPermission, PermissionKinds, PermissionRules, ResolvedGrantRequest, RevocableGrant, WalletCallContext, WalletDialect, WalletGrant, WalletGrantContext, WireRule } from './permissions/dialects/types.js'
export type { SpendReasonDetails } from './permissions/spendRules.js'

export { erc7836Executor } from './execution/erc7836.js'
export { hashExecutor } from './execution/hash.js'
export type { HashExecutorOptions } from './execution/hash.js'
export type { CallsReceipt, CallsStatus, ExecuteParameters, ExecuteReturnType, Executor, GetCallsStatusParameters } from './execution/types.js'
