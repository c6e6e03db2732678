import { eth_sendTransaction } from './eth_sendTransaction.js'
import { eth_signTypedData_v4 } from './eth_signTypedData_v4.js'
import { personal_sign } from './personal_sign.js'
import type { MethodHandler } from './types.js'
import { wallet_sendCalls } from './wallet_sendCalls.js'
import { wallet_getCallsStatus } from './wallet_getCallsStatus.js'
import { wallet_getGrantedExecutionPermissions } from './wallet_getGrantedExecutionPermissions.js'
import { wallet_getPermissions } from './wallet_getPermissions.js'
import { wallet_grantPermissions } from './wallet_grantPermissions.js'
import { wallet_requestExecutionPermissions } from './wallet_requestExecutionPermissions.js'
import { wallet_revokeExecutionPermission } from './wallet_revokeExecutionPermission.js'
import { wallet_revokePermissions } from './wallet_revokePermissions.js'

/**
 * The RPC methods keyleash owns, as data: method name → handler (MetaMask's
 * `createScaffoldMiddleware` reads the same way). A method with no entry goes to the inner
 * provider untouched, so adding a method is adding one file under `src/methods/` and one
 * line here. The provider reads only own properties, so names like `toString` pass through.
 *
 * @example
 * const handler = methodHandlers['wallet_grantPermissions']
 * if (handler) await handler(params, context)
 */
export const methodHandlers: { readonly [method: string]: MethodHandler | undefined } = {
  wallet_grantPermissions,
  wallet_requestExecutionPermissions,
  wallet_revokePermissions,
  wallet_revokeExecutionPermission,
  wallet_getPermissions,
  wallet_getGrantedExecutionPermissions,
  wallet_sendCalls,
  wallet_getCallsStatus,
  eth_sendTransaction,
  personal_sign,
  eth_signTypedData_v4,
}
