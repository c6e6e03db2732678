import { describe, expect, test } from 'vitest'
import { assertWalletEnforces, enforcedBy, enforcedRules, rulesOf, walletEnforcement } from '../../src/permissions/enforcement.js'
import { erc7715 } from '../../src/permissions/dialects/erc7715.js'
import { openfort } from '../../src/wallets/openfort.js'
import { erc7715v2025 } from '../../src/wallets/erc7715-2025.js'
import { executionPermissions } from '../../src/wallets/executionPermissions.js'
import { withSessionKeys } from '../../src/provider.js'
import { nft, seedRequest, token } from './dialects/fixtures.js'
import { scriptedWallet } from '../utils/scriptedWallet.js'
import { rejectionOf } from '../utils/rejection.js'

describe('enforcedBy', () => {
  test('default: every rule, each the wallet\'s if it enforces it and keyleash\'s otherwise', () => {
    expect(enforcedBy(openfort.enforces)).toStrictEqual({ target: 'wallet', selector: 'keyleash', value: 'keyleash', spend: 'keyleash', 'call-limit': 'wallet', expiry: 'wallet' })
    expect(Object.values(enforcedBy([])).every((by) => by === 'keyleash')).toBe(true)
  })

  test('behavior: every dialect declares its rules; the dev wallet\'s SessionAccount dialects enforce all six, MetaMask\'s enforcers all but the call limit, Openfort targets, calls and expiry', () => {
    for (const dialect of [erc7715, erc7715v2025]) expect(dialect.enforces).toStrictEqual(enforcedRules)
    expect(executionPermissions.enforces).toStrictEqual(enforcedRules.filter((rule) => rule !== 'call-limit'))
    expect(openfort.enforces).toStrictEqual(['target', 'call-limit', 'expiry'])
  })
})

describe('rulesOf', () => {
  test('default: target, value and expiry always; selector when functions are named; spend with a token; call-limit when asked', () => {
    expect(rulesOf(seedRequest)).toStrictEqual(['target', 'selector', 'value', 'expiry'])
    expect(rulesOf({ permissions: [{ type: 'contract-call', target: nft, selectors: 'any' }], policies: [{ type: 'call-limit', count: 1 }] })).toStrictEqual(['target', 'value', 'call-limit', 'expiry'])
    expect(rulesOf({ permissions: [{ type: 'erc20-transfer', token, allowance: 1n }], policies: [] })).toStrictEqual(['target', 'value', 'spend', 'expiry'])
  })
})

describe('requireWalletEnforcement', () => {
  test('error: a rule the wallet does not enforce is refused (4100) with the rule named, and the wallet is never asked', async () => {
    expect(() => assertWalletEnforces([seedRequest], { name: 'acme', enforces: ['target', 'expiry', 'value'] })).toThrowErrorMatchingInlineSnapshot(
      `[UnauthorizedError: grant: the wallet (acme) does not enforce the selector rule, only keyleash would, and requireWalletEnforcement is on]`,
    )
    const inner = scriptedWallet('erc7715')
    const provider = withSessionKeys(inner, { wallet: { ...erc7715, name: 'acme', enforces: ['target', 'expiry'] }, requireWalletEnforcement: walletEnforcement() })
    const error = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: 3600, permissions: [{ type: 'contract-call', data: { address: nft, calls: [] } }] }] }))
    expect(error).toMatchObject({ code: 4100, data: { field: 'permissions', rule: 'value', hint: 'grant without a value rule, or turn requireWalletEnforcement off; the wallet enforces target, expiry' } })
    expect(inner.paramsOf('wallet_grantPermissions')).toStrictEqual([])
  })

  test('behavior: a wallet that enforces every rule grants as usual, and the session says the wallet holds each', async () => {
    const provider = withSessionKeys(scriptedWallet('erc7715'), { requireWalletEnforcement: walletEnforcement() })
    const { permissionsContext } = (await provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: 3600, permissions: [{ type: 'contract-call', data: { address: nft, calls: ['mint(address)'] } }] }] })) as { permissionsContext: string }
    expect((await provider.sessions.get(permissionsContext))?.enforcedBy).toStrictEqual(enforcedBy(enforcedRules))
  })

  test("error: the option's old shape (true) is refused when wrapping, never read as off, saying what to import", async () => {
    // @ts-expect-error the option's old shape
    const error = await rejectionOf((async () => withSessionKeys(scriptedWallet('erc7715'), { requireWalletEnforcement: true }))())
    expect(error).toMatchObject({
      code: -32602,
      message: 'requireWalletEnforcement: must be made by walletEnforcement(), got true',
      data: { hint: "import { walletEnforcement } from 'keyleash' and pass requireWalletEnforcement: walletEnforcement(); an app bundles the check only then" },
    })
  })
})
