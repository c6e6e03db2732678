import {
  createErc20TokenAllowanceCaveats,
  createErc20TokenPeriodicCaveats,
  createErc20TokenStreamCaveats,
  createNativeTokenAllowanceCaveats,
  createNativeTokenPeriodicCaveats,
  createNativeTokenStreamCaveats,
  createTokenApprovalRevocationCaveats,
  type EnforcerAddressesByName,
} from '@metamask/7715-permission-types'
import type { Caveat, SmartAccountsEnvironment } from '@metamask/smart-accounts-kit'
import { createCaveatBuilder } from '@metamask/smart-accounts-kit/utils'
import { type Address, type Hex, pad, toFunctionSelector, zeroHash } from 'viem'
import { InvalidParamsError } from '../../errors.js'
import type { Permission } from '../../permissions/types.js'

/** A granted MetaMask permission with every default filled in, as the wallet's caveat builders take it. */
export type PopulatedPermission = { type: string; isAdjustmentAllowed: boolean; data: Record<string, unknown> }

/** What the caveats of one grant are built from: the permission with its rules, the grant's end, the account's nonce. */
export type CaveatsParameters = {
  permission: Extract<Permission, { type: 'spend' | 'revocation' }>
  /** The permission in the wire shape, defaults filled (start time, stream bounds). */
  populated: PopulatedPermission
  /** UNIX seconds. */
  expiry: number
  /** The account's current nonce at the NonceEnforcer: bumping it revokes every grant at once. */
  nonce: bigint
  path: string
}

/**
 * The caveats MetaMask's wallet puts on a delegation for an Advanced Permission: the
 * permission's own, from `@metamask/7715-permission-types` (the builders the wallet side uses),
 * then the rules, from the kit's caveat builder: `expiry` → `TimestampEnforcer`, `redeemer` →
 * `RedeemerEnforcer`, `payee` → `AllowedTargetsEnforcer` (ETH) or `AllowedCalldataEnforcer` (the
 * `transfer` recipient) on streams and periods but on no allowance (as the snap does), and the
 * `NonceEnforcer` the wallet's decoders require.
 * `erc20-token-revocation` has no builder in the package: it is `approve(spender, 0)` on any
 * token, written with the kit's `allowedMethods`, `allowedCalldata` and `valueLte`.
 *
 * @example
 * const caveats = buildCaveats(environment, { permission, populated, expiry, nonce: 0n, path: '[0].' })
 */
export function buildCaveats(environment: SmartAccountsEnvironment, { permission, populated, expiry, nonce, path }: CaveatsParameters): Caveat[] {
  const contracts = enforcerAddresses(environment)
  const builder = createCaveatBuilder(environment)
  // The package's builders type their input as the fully populated permission of each type.
  const input = { permission: populated, contracts } as never
  const own: Caveat[] = (() => {
    switch (populated.type) {
      case 'native-token-stream':
        return createNativeTokenStreamCaveats(input)
      case 'native-token-periodic':
        return createNativeTokenPeriodicCaveats(input)
      case 'native-token-allowance':
        return createNativeTokenAllowanceCaveats(input)
      case 'erc20-token-stream':
        return createErc20TokenStreamCaveats(input)
      case 'erc20-token-periodic':
        return createErc20TokenPeriodicCaveats(input)
      case 'erc20-token-allowance':
        return createErc20TokenAllowanceCaveats(input)
      case 'token-approval-revocation':
        return createTokenApprovalRevocationCaveats(input)
      default:
        return createCaveatBuilder(environment)
          .addCaveat('allowedMethods', { selectors: [toFunctionSelector('approve(address,uint256)')] })
          .addCaveat('allowedCalldata', { startIndex: 36, value: zeroHash })
          .addCaveat('valueLte', { maxValue: 0n })
          .build()
    }
  })() as Caveat[]
  for (const caveat of own) builder.addCaveat(caveat)
  builder.addCaveat('timestamp', { afterThreshold: 0, beforeThreshold: expiry })
  if (permission.redeemers) builder.addCaveat('redeemer', { redeemers: [...permission.redeemers] })
  // MetaMask's permissions snap puts no payee caveat on an allowance: its payee is not enforced on chain.
  if (permission.type === 'spend' && permission.payees && permission.limit.kind !== 'allowance') {
    if (permission.token === 'native') builder.addCaveat('allowedTargets', { targets: [...permission.payees] })
    else {
      // The wallet's payee decoder reads one 32-byte recipient word: one payee per ERC-20 grant.
      const [payee, ...more] = permission.payees
      if (!payee || more.length > 0)
        throw new InvalidParamsError(`${path}rules`, 'an ERC-20 grant takes one payee (MetaMask compares the transfer recipient with one address)')
      builder.addCaveat('allowedCalldata', { startIndex: 4, value: pad(payee.toLowerCase() as Hex) })
    }
  }
  builder.addCaveat('nonce', { nonce: pad(`0x${nonce.toString(16)}`) })
  return builder.build()
}

/**
 * The enforcers by the names the wallet's builders and decoders use.
 *
 * @example
 * createErc20TokenPeriodicCaveats({ permission, contracts: enforcerAddresses(environment) })
 */
export function enforcerAddresses(environment: SmartAccountsEnvironment): EnforcerAddressesByName {
  const e = environment.caveatEnforcers as Record<string, Address | undefined>
  const at = (name: string): Address => {
    const address = e[name]
    if (!address) throw new InvalidParamsError('environment', `the Delegation Framework deployment has no ${name}`)
    return address
  }
  return {
    erc20StreamingEnforcer: at('ERC20StreamingEnforcer'),
    erc20PeriodTransferEnforcer: at('ERC20PeriodTransferEnforcer'),
    nativeTokenStreamingEnforcer: at('NativeTokenStreamingEnforcer'),
    nativeTokenPeriodTransferEnforcer: at('NativeTokenPeriodTransferEnforcer'),
    approvalRevocationEnforcer: at('ApprovalRevocationEnforcer'),
    exactCalldataEnforcer: at('ExactCalldataEnforcer'),
    valueLteEnforcer: at('ValueLteEnforcer'),
    timestampEnforcer: at('TimestampEnforcer'),
    nonceEnforcer: at('NonceEnforcer'),
    allowedCalldataEnforcer: at('AllowedCalldataEnforcer'),
    allowedTargetsEnforcer: at('AllowedTargetsEnforcer'),
    redeemerEnforcer: at('RedeemerEnforcer'),
  }
}
