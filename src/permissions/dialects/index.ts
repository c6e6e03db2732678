import { InvalidParamsError } from '../../errors.js'
import { erc7715 } from './erc7715.js'
import type { AppDialect, AppDialectName } from './types.js'

/** The drafts a provider reads besides viem's June 2024 one, by name (the `requests` option, and its wallet's own). */
export type RequestDialects = Readonly<Partial<Record<Exclude<AppDialectName, 'erc7715'>, AppDialect>>>

// What a refusal tells the app to import and pass, per draft.
const drafts = {
  'erc7715-2025': { draft: 'ERC-7715 as merged in February 2025', value: 'erc7715v2025Requests' },
  'execution-permissions': { draft: 'ERC-7715 of January 2026', value: 'executionPermissionRequests' },
} as const

/**
 * The draft `name` if this provider reads it; otherwise a -32602 that says what to pass. The
 * method stays keyleash's either way: a request in a draft the app did not opt into is refused,
 * never passed through to the wallet unchecked.
 *
 * @example
 * requestDialect(context.options.requests, 'erc7715-2025', 'wallet_getPermissions answers')
 */
export function requestDialect(requests: RequestDialects, name: keyof RequestDialects, what: string): AppDialect {
  const dialect = requests[name]
  if (dialect !== undefined) return dialect
  const { draft, value } = drafts[name]
  throw new InvalidParamsError('params', `${what} in ${draft}, a draft this provider was not given`, {
    hint: `import { ${value} } from 'keyleash' and pass withSessionKeys(inner, { requests: [${value}] })`,
  })
}

/**
 * Which draft an app's grant is in. `wallet_grantPermissions` carries two: viem's June 2024
 * single object (no `chainId`), and the 2025 list, whose every request names its chain.
 */
export function appDialectOf(method: 'wallet_grantPermissions' | 'wallet_requestExecutionPermissions', params: unknown, requests: RequestDialects): AppDialect {
  if (method === 'wallet_requestExecutionPermissions') return requestDialect(requests, 'execution-permissions', 'wallet_requestExecutionPermissions asks')
  const first: unknown = Array.isArray(params) ? params[0] : undefined
  const isList = Array.isArray(params) && (params.length > 1 || (typeof first === 'object' && first !== null && 'chainId' in first))
  return isList ? requestDialect(requests, 'erc7715-2025', 'a list of grant requests asks') : erc7715
}

// How apps ask. Speaking to wallets is `erc7715` here, the default, and the rest in
// `src/wallets/` (`keyleash/wallets`), out of the core bundle. The other drafts' parsers are
// reached through the `requests` option only, so a bundle holds them only if the app imports them.
export { erc7715v2025Requests } from './erc7715-2025.js'
export { executionPermissionRequests } from './executionPermissions.js'
export { erc7715 }
export type * from './types.js'
