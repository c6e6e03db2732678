import { describe, expect, test } from 'vitest'
import { withSessionKeys } from '../src/provider.js'
import { defaultMaxExpiry, resolveOptions } from '../src/resolveOptions.js'
import { memoryStore } from '../src/sessions/memoryStore.js'
import { p256Keys } from '../src/sessions/p256Keys.js'
import { allowList } from '../src/permissions/allowList.js'
import type { AllowList } from '../src/options.js'
import { erc7715 } from '../src/permissions/dialects/erc7715.js'
import { rejection } from './utils/rejection.js'
import { erc7710Executor } from '../src/execution/erc7710.js'
import { openfortExecutor } from '../src/execution/openfort.js'

const nft = '0x5FbDB2315678afecb367f032d93F642f64180aa3'

describe('resolveOptions', () => {
  test('default: every default filled in', () => {
    expect(resolveOptions({})).toStrictEqual({
      wallet: erc7715,
      expiryMode: 'auto',
      keyType: undefined,
      maxExpiry: defaultMaxExpiry,
      allow: undefined,
      autoRoute: undefined,
      requireWalletEnforcement: undefined,
      account: undefined,
      requests: {},
      signing: {},
      signRequests: undefined,
    })
  })

  test('behavior: the allow-list is read once, at setup: targets checksummed, selectors as 4-byte hex', () => {
    expect(resolveOptions({ allow: allowList([{ target: nft.toLowerCase() as `0x${string}`, selectors: ['mint(address)', '0xA9059CBB'] }, { target: nft }]) }).allow?.entries).toStrictEqual([
      { target: nft, selectors: ['0x6a627842', '0xa9059cbb'] },
      { target: nft },
    ])
  })

  test("error: keyType p256Keys() with an executor that signs only with secp256k1 keys is refused at setup, saying what to do", () => {
    const backend = { url: 'http://127.0.0.1:1' }
    expect(rejection(() => resolveOptions({ keyType: p256Keys(), executor: openfortExecutor({ backend, account: 'acc_1' }) }))).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "message": "keyType: is p256Keys(), but Openfort registers a session key by its address (POST /v1/sessions), which only a secp256k1 key has; grant with keyType 'secp256k1' (the default)",
      }
    `)
    expect(rejection(() => resolveOptions({ keyType: p256Keys(), executor: erc7710Executor() }))).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "message": "keyType: is p256Keys(), but erc7710Executor redeems the delegation as the session key itself, sending a transaction from its address, which only a secp256k1 key has; grant with keyType 'secp256k1' (the default)",
      }
    `)
    expect(rejection(() => resolveOptions({ keyType: 'ed25519' as never }))).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "message": "keyType: must be 'secp256k1' or made by p256Keys(), got "ed25519"",
      }
    `)
    expect(resolveOptions({ keyType: p256Keys(), store: memoryStore() }).keyType?.keyType).toBe('p256')
    expect(resolveOptions({ keyType: 'secp256k1' }).keyType).toBeUndefined()
  })

  test("error: a bare keyType 'p256' (the option's old shape) is refused at setup, never read as secp256k1, saying how to opt in", () => {
    expect(rejection(() => withSessionKeys({ request: async () => null }, { keyType: 'p256' as never }))).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "message": "keyType: must be 'secp256k1' or made by p256Keys(), got "p256"",
      }
    `)
  })

  test('error: an option withSessionKeys does not have is refused, with the one it probably meant', () => {
    expect(rejection(() => withSessionKeys({ request: async () => null }, { autoroute: true } as never))).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "message": "options.autoroute: is not an option of withSessionKeys; did you mean autoRoute?",
      }
    `)
    expect(rejection(() => resolveOptions({ storage: memoryStore() }))).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "message": "options.storage: is not an option of withSessionKeys",
      }
    `)
  })

  test('error: the grant\'s own { address, calls } in the allow-list says which words the allow-list uses', () => {
    expect(rejection(() => resolveOptions({ allow: [{ address: nft, calls: ['mint(address)'] }] }))).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "message": "allow: must be made by allowList([{ target, selectors? }, …]), got an array",
      }
    `)
  })

  test('error: each option of a wrong shape is named, with what it takes', () => {
    const cases: Record<string, unknown>[] = [
      { allow: [{ target: nft }] },
      { store: {} },
      { store: { ...memoryStore(), keys: {} } },
      { executor: 'erc7836' },
      { now: 1_800_000_000 },
      { autoRoute: 'yes' },
      { expiryMode: 'seconds' },
      { wallet: 'openfort' },
      { signing: { hashes: true } },
      { maxExpiry: -1 },
      { account: [] },
    ]
    expect(cases.map((options) => rejection(() => resolveOptions(options)).message)).toMatchInlineSnapshot(`
      [
        "allow: must be made by allowList([{ target, selectors? }, …]), got an array",
        "store: must be a SessionStore: memoryStore(), or a store from keyleash/browser or keyleash/node, got an object",
        "store: must be a SessionStore: memoryStore(), or a store from keyleash/browser or keyleash/node, got an object",
        "executor: must be an executor function: erc7836Executor(), hashExecutor(…), or your own, got "erc7836"",
        "now: must be a function that answers the time in UNIX seconds, got 1800000000",
        "autoRoute: must be made by autoRouting(), got "yes"",
        "expiryMode: must be 'auto', 'timestamp' or 'duration', got "seconds"",
        "wallet: must be a wallet dialect, got "openfort"; import your wallet's from keyleash/wallets (e.g. openfort), or write a WalletDialect",
        "signing: must be made by sessionSigning({ hashes?, messages?, typedData? }), got an object",
        "maxExpiry: must be a positive whole number of seconds, got -1",
        "account: must be an address or a non-empty list of addresses",
      ]
    `)
  })

  test('error: an allow-list entry of a wrong shape is named by allowList, with what it takes', () => {
    const cases: unknown[] = [{ target: nft }, [{ target: nft, selectors: ['mint(address'] }], [{ target: nft, functions: [] }], [{ address: nft, calls: [] }]]
    expect(cases.map((entries) => rejection(() => allowList(entries as AllowList)).message)).toMatchInlineSnapshot(`
      [
        "allow: must be a list of { target, selectors? }, got an object",
        "allow[0].selectors[0]: "mint(address" is not a function signature or selector",
        "allow[0].functions: is not a field of an allow-list entry: { target, selectors? }",
        "allow[0]: takes { target, selectors }, not the grant's { address, calls }",
      ]
    `)
  })

  test('error: options that are not an object', () => {
    expect(rejection(() => resolveOptions(null))).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "message": "options: must be an object, got null",
      }
    `)
  })
})
