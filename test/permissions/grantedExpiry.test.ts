import { generatePrivateKey } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { devWalletDialects } from '../../src/devwallet/dialects.js'
import { withSessionKeys } from '../../src/provider.js'
import { rejectionOf } from '../utils/rejection.js'
import { account, nft, now, scriptedWallet } from '../utils/scriptedWallet.js'

/*
 * A wallet's answer is untrusted: an expiry that is not a positive whole number of seconds
 * (NaN compares false with any clock: a session that never expires) is refused, not kept.
 */

const permissions = [{ type: 'contract-call', data: { address: nft, calls: ['mint(address)'] } }]
const bad = [Number.NaN, Number.POSITIVE_INFINITY, 1.5, -1, 0, String(now + 60), null]

describe.each([
  ['erc7715', (expiry: unknown) => ({ expiry, grantedPermissions: permissions, permissionsContext: '0x01' })],
  ['erc7715-2025', (expiry: unknown) => [{ chainId: '0x7a69', address: account, expiry, permissions, context: '0x01' }]],
  [
    'execution-permissions',
    (expiry: unknown) => [{ chainId: '0x7a69', from: account, permission: { type: 'contract-call', data: permissions[0]?.data }, rules: [{ type: 'expiry', data: { timestamp: expiry } }], context: '0x01' }],
  ],
] as const)('a %s wallet', (dialect, answer) => {
  test.each(bad)('error: a granted expiry of %s is refused (-32603, the wallet\'s fault) and no session is kept', async (expiry) => {
    const wallet = devWalletDialects[dialect]
    const provider = withSessionKeys(scriptedWallet(dialect, { [wallet.grantMethod]: answer(expiry) }), { wallet, now: () => now })
    const key = await provider.sessions.importKey(generatePrivateKey())
    const grant =
      dialect === 'execution-permissions'
        ? provider.request({
            method: 'wallet_requestExecutionPermissions',
            params: [{ chainId: '0x7a69', to: key, permission: { type: 'contract-call', isAdjustmentAllowed: false, data: permissions[0]?.data }, rules: [{ type: 'expiry', data: { timestamp: now + 3600 } }] }],
          })
        : provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: 3600, signer: { type: 'account', data: { id: key } }, permissions }] })
    const error = await rejectionOf(grant)
    expect(error.code).toBe(-32603)
    expect(error.message).toMatch(/expiry|timestamp/)
    expect(error.message).toMatch(/must be a positive whole number of seconds/)
    expect(await provider.sessions.list()).toHaveLength(0)
  })
})
