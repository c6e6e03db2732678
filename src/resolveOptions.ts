import type { Address } from 'viem'
import { InvalidParamsError } from './errors.js'
import type { ResolvedOptions } from './methods/types.js'
import type { KeyleashOptions } from './options.js'
import { erc7715 } from './permissions/dialects/erc7715.js'
import type { RequestDialects } from './permissions/dialects/index.js'
import type { AppDialect, WalletDialect } from './permissions/dialects/types.js'
import { describe, readAddress, readObject, readSeconds } from './permissions/read.js'
import type { AllowListOption } from './permissions/allowList.js'
import type { SessionSigningOption } from './permissions/sessionSigning.js'
import type { WalletEnforcement } from './permissions/enforcement.js'
import type { AutoRouting } from './sessions/autoRouting.js'
import type { P256Keys } from './sessions/p256Keys.js'

/**
 * The longest session an app grants unless it says otherwise: 30 days, in seconds.
 *
 * @example
 * withSessionKeys(inner, { maxExpiry: defaultMaxExpiry / 30 }) // one day at most
 */
export const defaultMaxExpiry = 30 * 24 * 60 * 60

// Every option withSessionKeys reads; anything else is a typo or an option of another library.
const optionNames = ['store', 'wallet', 'requests', 'expiryMode', 'maxExpiry', 'allow', 'requireWalletEnforcement', 'executor', 'keyType', 'autoRoute', 'account', 'signing', 'now'] as const satisfies readonly (keyof KeyleashOptions)[]

/**
 * Checks every option of {@link withSessionKeys} when the provider is made, so that a wrong
 * shape or a typo (`autoroute`) fails at once with a -32602 naming the option, rather than at
 * the user's first grant or never. Resolves the defaults of the options handlers read.
 *
 * @example
 * resolveOptions({ autoRoute: autoRouting() }) // { wallet: erc7715, expiryMode: 'auto', maxExpiry: 2592000, autoRoute: { … }, … }
 * resolveOptions({ autoroute: true }) // throws: options.autoroute: is not an option of withSessionKeys; did you mean autoRoute?
 */
export function resolveOptions(options: unknown): ResolvedOptions {
  for (const key of Object.keys(readObject(options, 'options'))) {
    if ((optionNames as readonly string[]).includes(key)) continue
    const near = optionNames.find((name) => name.toLowerCase() === key.toLowerCase())
    throw new InvalidParamsError(`options.${key}`, `is not an option of withSessionKeys${near ? `; did you mean ${near}?` : ''}`, {
      hint: `the options are ${optionNames.join(', ')}`,
    })
  }
  const given = options as KeyleashOptions
  checkShape(given.store, 'store', isSessionStore, 'a SessionStore: memoryStore(), or a store from keyleash/browser or keyleash/node')
  checkShape(given.executor, 'executor', isFunction, 'an executor function: erc7836Executor(), hashExecutor(…), or your own')
  checkShape(given.now, 'now', isFunction, 'a function that answers the time in UNIX seconds')
  const wallet = given.wallet ?? erc7715
  if (!isWalletDialect(wallet))
    throw new InvalidParamsError('wallet', `must be a wallet dialect, got ${describe(wallet)}; import your wallet's from keyleash/wallets (e.g. openfort), or write a WalletDialect`)
  const expiryMode = given.expiryMode ?? 'auto'
  checkShape(expiryMode, 'expiryMode', (value) => ['auto', 'timestamp', 'duration'].includes(value as string), "'auto', 'timestamp' or 'duration'")
  return {
    wallet,
    keyType: readKeyType(given),
    expiryMode,
    maxExpiry: readSeconds(given.maxExpiry ?? defaultMaxExpiry, 'maxExpiry'),
    allow: readOptIn<AllowListOption>(given.allow, 'allow'),
    autoRoute: (given.autoRoute as unknown) === false ? undefined : readOptIn<AutoRouting>(given.autoRoute, 'autoRoute'),
    requireWalletEnforcement: readOptIn<WalletEnforcement>(given.requireWalletEnforcement, 'requireWalletEnforcement'),
    account: readAccountOption(given.account),
    requests: readRequests(given.requests, wallet),
    ...readSigning(given.signing),
  }
}

function checkShape(value: unknown, option: string, is: (value: unknown) => boolean, what: string): void {
  if (value !== undefined && !is(value)) throw new InvalidParamsError(option, `must be ${what}, got ${describe(value)}`)
}

const isFunction = (value: unknown) => typeof value === 'function'
const hasFunctions = (value: unknown, names: readonly string[]) =>
  typeof value === 'object' && value !== null && names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function')
const isSessionStore = (value: unknown) =>
  hasFunctions(value, ['get', 'put', 'update', 'delete', 'list']) && hasFunctions((value as { keys?: unknown }).keys, ['import', 'generate', 'has', 'signer', 'delete'])

// A dialect name (the old option) or a half-written dialect fails here, not at the first grant.
function isWalletDialect(value: unknown): value is WalletDialect {
  if (typeof value !== 'object' || value === null) return false
  const dialect = value as Record<string, unknown>
  return (
    ['name', 'grantMethod', 'revokeMethod'].every((key) => typeof dialect[key] === 'string') &&
    hasFunctions(value, ['encode', 'decode', 'encodeRevoke']) &&
    Array.isArray(dialect.enforces) &&
    // Its own grant needs its own revoke: what it sets live is not undone by an RPC method.
    (dialect.grant === undefined) === (dialect.revoke === undefined)
  )
}

/** The drafts read besides June 2024's, by name: the `requests` option, then the wallet's own. */
function readRequests(requests: unknown, wallet: WalletDialect): RequestDialects {
  checkShape(requests, 'requests', Array.isArray, 'a list of request drafts (erc7715v2025Requests, executionPermissionRequests from keyleash)')
  const read: { -readonly [name in keyof RequestDialects]: AppDialect } = {}
  const given = (requests ?? []) as readonly unknown[]
  for (const [i, dialect] of [...given, ...(wallet.requests === undefined ? [] : [wallet.requests])].entries()) {
    if (!isAppDialect(dialect))
      throw new InvalidParamsError(i < given.length ? `requests[${i}]` : 'wallet.requests', `must be a request draft (erc7715v2025Requests or executionPermissionRequests from keyleash), got ${describe(dialect)}`)
    if (dialect.name !== 'erc7715') read[dialect.name] = dialect
  }
  return read
}

const isAppDialect = (value: unknown): value is AppDialect =>
  hasFunctions(value, ['parse', 'answer']) && ['erc7715', 'erc7715-2025', 'execution-permissions'].includes((value as { name?: unknown }).name as string)

/**
 * The options an app opts into through a factory: the factory, its parameters, the functions
 * that show it made the value, an example of its call and what an app bundles only then. A value
 * of another shape (an option's old one: a bare list, `true`, `{ hashes: true }`, 'p256') is
 * refused, never read as "nothing": it would leave every grant unchecked or sign unread requests.
 */
const optIns = {
  allow: ['allowList', '([{ target, selectors? }, …])', ['check'], "([{ target: nft, selectors: ['mint(address)'] }])", 'the allow-list check'],
  autoRoute: ['autoRouting', '()', ['pick', 'sendTransaction'], '()', 'the routing'],
  keyType: ['p256Keys', '()', ['generate', 'check'], '()', 'P-256 key generation'],
  requireWalletEnforcement: ['walletEnforcement', '()', ['assert'], '()', 'the check'],
  signing: ['sessionSigning', '({ hashes?, messages?, typedData? })', ['personalSign', 'signTypedData'], '({ hashes: true })', 'the sign-request classifier'],
} as const satisfies Record<string, readonly [string, string, readonly string[], string, string]>

function readOptIn<made>(value: unknown, option: keyof typeof optIns): made | undefined {
  if (value === undefined) return undefined
  const [factory, parameters, functions, example, what] = optIns[option]
  if (hasFunctions(value, functions)) return value as made
  throw new InvalidParamsError(option, `must be ${option === 'keyType' ? "'secp256k1' or " : ''}made by ${factory}${parameters}, got ${describe(value)}`, {
    hint: `import { ${factory} } from 'keyleash' and pass ${option}: ${factory}${example}; an app bundles ${what} only then`,
  })
}

function readKeyType(given: KeyleashOptions): P256Keys | undefined {
  const made = given.keyType === 'secp256k1' ? undefined : readOptIn<P256Keys>(given.keyType, 'keyType')
  made?.check(given)
  return made
}

function readAccountOption(account: unknown): readonly Address[] | undefined {
  if (account === undefined) return undefined
  const list: unknown = typeof account === 'string' ? [account] : account
  if (!Array.isArray(list) || list.length === 0) throw new InvalidParamsError('account', 'must be an address or a non-empty list of addresses')
  return list.map((entry: unknown, i) => readAddress(entry, Array.isArray(account) ? `account[${i}]` : 'account'))
}

function readSigning(signing: unknown): Pick<ResolvedOptions, 'signing' | 'signRequests'> {
  const made = readOptIn<SessionSigningOption>(signing, 'signing')
  return { signing: made?.kinds ?? {}, signRequests: made }
}
