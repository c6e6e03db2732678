import { type Address, numberToHex } from 'viem'
import { InvalidParamsError } from '../errors.js'
import type { WalletDialect } from '../permissions/dialects/types.js'
import type { GrantRequest, KeyType } from '../permissions/types.js'
import type { Eip1193Provider } from '../types.js'
import type { SessionKeyType } from './p256Key.js'

/**
 * The key types a wallet takes for `key` signers: its dialect's `keyTypes` (default
 * `['secp256k1']`), narrowed to what the wallet itself answers in `wallet_getCapabilities`
 * (`permissions.keyTypes` for `chainId`) where it answers one. A wallet that does not answer,
 * or answers no list, is taken at its dialect's word.
 *
 * @example
 * await walletKeyTypes(inner, erc7715v2025, account, 31337) // ['secp256k1', 'secp256r1']
 */
export async function walletKeyTypes(inner: Eip1193Provider, dialect: WalletDialect, account: Address, chainId: number): Promise<readonly KeyType[]> {
  const carried = dialect.keyTypes ?? ['secp256k1']
  const chain = numberToHex(chainId)
  let answered: unknown
  try {
    const capabilities = (await inner.request({ method: 'wallet_getCapabilities', params: [account, [chain]] })) as Record<string, { permissions?: { keyTypes?: unknown } } | undefined>
    answered = capabilities?.[chain]?.permissions?.keyTypes
  } catch {
    // No ERC-5792 capabilities (4200 and the like): the dialect says what the wallet takes.
  }
  return Array.isArray(answered) ? carried.filter((type) => answered.includes(type)) : carried
}

/**
 * Refuses (-32602, before the wallet is asked anything else) a grant that would offer a P-256
 * key (`keyType: p256Keys()`, or a `secp256r1` key signer the app brought) to a wallet that does
 * not take one (see {@link walletKeyTypes}). Asks the wallet only when a P-256 key is offered.
 *
 * @example
 * await assertWalletTakesKeys(requests, 'p256', inner, dialect, 31337)
 */
export async function assertWalletTakesKeys(
  requests: readonly GrantRequest[],
  keyType: SessionKeyType,
  inner: Eip1193Provider,
  dialect: WalletDialect,
  chainId: number,
): Promise<void> {
  const offered = requests.findIndex((request) =>
    request.signer === undefined
      ? keyType === 'p256'
      : (request.signer.type === 'key' && request.signer.key.keyType === 'secp256r1') ||
        (request.signer.type === 'keys' && request.signer.keys.some((key) => key.keyType === 'secp256r1')),
  )
  const request = requests[offered]
  if (request === undefined) return
  const takes = await walletKeyTypes(inner, dialect, request.account, chainId)
  if (takes.includes('secp256r1')) return
  const field = request.signer === undefined ? 'keyType' : `[${offered}].signer`
  throw new InvalidParamsError(field, `offers a P-256 (secp256r1) key, but the ${dialect.name} wallet takes ${takes.join(', ') || 'no'} keys`, {
    hint: `grant with keyType 'secp256k1' (the default), or use a wallet that takes secp256r1 keys (erc7715v2025 on the dev wallet)`,
  })
}
