import fc from 'fast-check'
import { type Address, type Hex, bytesToHex, hashTypedData, recoverAddress, recoverMessageAddress, stringToHex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { SESSION_ACCOUNT_DOMAIN, executeTypes } from '../../src/devwallet/contracts.js'
import { permit2Address } from '../../src/permissions/signRequest.js'
import { sessionSigning } from '../../src/permissions/sessionSigning.js'
import { withSessionKeys } from '../../src/provider.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import { account, now, nft, scriptedWallet, token } from '../utils/scriptedWallet.js'

/*
 * Property: no signature leaves keyleash's personal_sign / eth_signTypedData_v4 that authorises
 * anything outside the grant. The oracle does not ask keyleash's classifier: each request is
 * LABELLED by the generator that built it, and a signature returned for request r by the key k
 * of session s is acceptable only if all of these hold:
 *  1. s is live (the clock is before its expiry);
 *  2. r is personal_sign of exactly 32 bytes (a hash) → both the provider and s opted into
 *     `hashes`; of other bytes or text → into `hashes` or `messages`; typed data → into
 *     `typedData`, AND r was built as `benign`: a struct and field names of no authorising
 *     kind, a domain that is not the account, a granted target or token or Permit2, and no
 *     such address anywhere in it. Every `execute` (the SessionAccount's Execute, any domain,
 *     any calls, in the grant or not), `permit` (EIP-2612, owner the account or not), `dai`
 *     (DAI-style permit), `permit2` (PermitSingle, PermitBatch, PermitTransferFrom,
 *     PermitWitnessTransferFrom, any domain) and `touching` (benign-looking data addressed to or
 *     naming the account or a target or token of THIS grant) request is never signed;
 *  3. the signature recovers to k over exactly r (nothing else was signed in its place).
 * Every refusal must be a 4100, and no request reaches the inner wallet. Liveness: benign
 * typed data, text and hashes must be signed some of the time, or the property proves little.
 */

const other: Address = '0x1111111111111111111111111111111111111111'
const stranger: Address = '0x2222222222222222222222222222222222222222'
const touchedAddresses = [account, nft, token, permit2Address as Address, account.toLowerCase() as Address]
const anyAddress = fc.constantFrom(...touchedAddresses, other, stranger)
const uint = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }).map((n) => `0x${n.toString(16)}`)
const chainId = fc.constantFrom(1, 31337, 8453)
const domain = fc.record(
  { name: fc.constantFrom('Token', 'Permit2', 'KeyleashSessionAccount', 'App'), version: fc.constantFrom('1', '2'), chainId, verifyingContract: anyAddress },
  { requiredKeys: [] },
)

const permission = fc.oneof(
  fc.record({ type: fc.constant('contract-call'), data: fc.record({ address: fc.constantFrom(nft, token), calls: fc.subarray(['mint(address)', 'transfer(address,uint256)', 'approve(address,uint256)']) }) }),
  fc.record({ type: fc.constant('erc20-token-transfer'), data: fc.record({ address: fc.constant(token), allowance: fc.constantFrom('0x1', '0x64') }) }),
)
const optIn = fc.record({ hashes: fc.boolean(), messages: fc.boolean(), typedData: fc.boolean() })

type Labelled =
  | { label: 'hash' | 'bytes' | 'text'; message: Hex }
  | { label: 'execute' | 'permit' | 'dai' | 'permit2' | 'benign'; typedData: Record<string, any> }
  | { label: 'touching'; typedData: Record<string, any>; at: string }

const call = fc.record({ target: anyAddress, value: uint, data: fc.uint8Array({ maxLength: 68 }).map(bytesToHex) })
const execute = fc.record({
  domain: fc.oneof(domain, fc.record({ chainId, verifyingContract: anyAddress }).map((d) => ({ ...SESSION_ACCOUNT_DOMAIN, ...d }))),
  message: fc.record({ calls: fc.array(call, { maxLength: 3 }), nonce: uint }),
}).map(({ domain, message }) => ({ label: 'execute' as const, typedData: { domain, types: executeTypes, primaryType: 'Execute', message } }))
const permit = fc.record({ domain, owner: anyAddress, spender: anyAddress, value: uint, nonce: uint, deadline: uint }).map(({ domain, ...message }) => ({
  label: 'permit' as const,
  typedData: {
    domain,
    types: { Permit: [{ name: 'owner', type: 'address' }, { name: 'spender', type: 'address' }, { name: 'value', type: 'uint256' }, { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' }] },
    primaryType: 'Permit',
    message,
  },
}))
const dai = fc.record({ domain, holder: anyAddress, spender: anyAddress, nonce: uint, expiry: uint, allowed: fc.boolean() }).map(({ domain, ...message }) => ({
  label: 'dai' as const,
  typedData: {
    domain,
    types: { Permit: [{ name: 'holder', type: 'address' }, { name: 'spender', type: 'address' }, { name: 'nonce', type: 'uint256' }, { name: 'expiry', type: 'uint256' }, { name: 'allowed', type: 'bool' }] },
    primaryType: 'Permit',
    message,
  },
}))
const details = fc.record({ token: anyAddress, amount: uint, expiration: uint, nonce: uint })
const permit2Shapes = {
  PermitSingle: { types: { PermitSingle: [{ name: 'details', type: 'PermitDetails' }, { name: 'spender', type: 'address' }, { name: 'sigDeadline', type: 'uint256' }], PermitDetails: [{ name: 'token', type: 'address' }, { name: 'amount', type: 'uint160' }, { name: 'expiration', type: 'uint48' }, { name: 'nonce', type: 'uint48' }] }, message: fc.record({ details, spender: anyAddress, sigDeadline: uint }) },
  PermitBatch: { types: { PermitBatch: [{ name: 'details', type: 'PermitDetails[]' }, { name: 'spender', type: 'address' }, { name: 'sigDeadline', type: 'uint256' }], PermitDetails: [{ name: 'token', type: 'address' }, { name: 'amount', type: 'uint160' }, { name: 'expiration', type: 'uint48' }, { name: 'nonce', type: 'uint48' }] }, message: fc.record({ details: fc.array(details, { maxLength: 3 }), spender: anyAddress, sigDeadline: uint }) },
  PermitTransferFrom: { types: { PermitTransferFrom: [{ name: 'permitted', type: 'TokenPermissions' }, { name: 'spender', type: 'address' }, { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' }], TokenPermissions: [{ name: 'token', type: 'address' }, { name: 'amount', type: 'uint256' }] }, message: fc.record({ permitted: fc.record({ token: anyAddress, amount: uint }), spender: anyAddress, nonce: uint, deadline: uint }) },
  PermitWitnessTransferFrom: { types: { PermitWitnessTransferFrom: [{ name: 'permitted', type: 'TokenPermissions' }, { name: 'spender', type: 'address' }, { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' }, { name: 'witness', type: 'Witness' }], TokenPermissions: [{ name: 'token', type: 'address' }, { name: 'amount', type: 'uint256' }], Witness: [{ name: 'user', type: 'address' }] }, message: fc.record({ permitted: fc.record({ token: anyAddress, amount: uint }), spender: anyAddress, nonce: uint, deadline: uint, witness: fc.record({ user: anyAddress }) }) },
} as const
const permit2 = fc.constantFrom(...(Object.keys(permit2Shapes) as (keyof typeof permit2Shapes)[])).chain((primaryType) =>
  fc.record({ domain: fc.oneof(domain, fc.constant({ name: 'Permit2', chainId: 1, verifyingContract: permit2Address })), message: permit2Shapes[primaryType].message as fc.Arbitrary<Record<string, unknown>> }).map(({ domain, message }) => ({
    label: 'permit2' as const,
    typedData: { domain, types: permit2Shapes[primaryType].types, primaryType, message },
  })),
)
// Struct and field names of no authorising kind, and addresses outside the grant.
const benignName = fc.constantFrom('Login', 'Mail', 'Greeting', 'Attestation', 'Person')
const benignBody = fc.record({ name: benignName, note: fc.string({ maxLength: 20 }).filter((s) => !/[0-9a-fA-F]{40}/.test(s)), id: uint, who: fc.constantFrom(other, stranger) })
const benignDomain = fc.record({ name: fc.constantFrom('App', 'Backend'), version: fc.constant('1'), chainId, verifyingContract: fc.constantFrom(other, stranger) }, { requiredKeys: [] })
const benign = fc.record({ domain: benignDomain, body: benignBody }).map(({ domain, body }) => ({
  label: 'benign' as const,
  typedData: { domain, types: { [body.name]: [{ name: 'note', type: 'string' }, { name: 'id', type: 'uint256' }, { name: 'who', type: 'address' }] }, primaryType: body.name, message: { note: body.note, id: body.id, who: body.who } },
}))
// Benign in shape, but addressed to (or naming) the account, a granted target or token.
const touching = fc.record({ domain: benignDomain, body: benignBody, at: fc.constantFrom(account, nft, token, account.toLowerCase()), where: fc.constantFrom('domain', 'who', 'note') }).map(({ domain, body, at, where }) => ({
  label: 'touching' as const,
  at,
  typedData: {
    domain: where === 'domain' ? { ...domain, verifyingContract: at } : domain,
    types: { [body.name]: [{ name: 'note', type: 'string' }, { name: 'id', type: 'uint256' }, { name: 'who', type: 'address' }] },
    primaryType: body.name,
    message: { note: where === 'note' ? `send to ${at}` : body.note, id: body.id, who: where === 'who' ? at : body.who },
  },
}))
const hash = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => ({ label: 'hash' as const, message: bytesToHex(bytes) }))
const bytes = fc.uint8Array({ minLength: 1, maxLength: 80 }).filter((b) => b.length !== 32).map((b) => ({ label: 'bytes' as const, message: bytesToHex(b) }))
const text = fc.stringMatching(/^[A-Za-z ,.:]{1,60}$/).filter((s) => s.length !== 32).map((s) => ({ label: 'text' as const, message: stringToHex(s) }))
const request: fc.Arbitrary<Labelled> = fc.oneof(execute, permit, dai, permit2, touching, benign, hash, bytes, text)

describe('property: a session key signs nothing outside the grant', () => {
  test('5,000 random grants × sign requests (Execute, Permit, DAI permit, Permit2, touching, benign typed data, hashes, bytes, text; opt-ins on and off; live and expired)', async () => {
    const counts: Record<string, number> = {}
    let runs = 0
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(permission, { minLength: 1, maxLength: 3, selector: (p) => `${p.type}:${p.data.address}` }),
        optIn,
        optIn,
        fc.boolean(),
        request,
        async (permissions, provided, granted, expired, asked) => {
          runs++
          let clock = now
          const inner = scriptedWallet('erc7715')
          const store = memoryStore()
          // The session is granted under one set of opt-ins and used under the provider's of the moment.
          const grantor = withSessionKeys(inner, { now: () => clock, store, signing: sessionSigning(granted) })
          const provider = withSessionKeys(inner, { now: () => clock, store, signing: sessionSigning(provided) })
          const key = await grantor.sessions.importKey(generatePrivateKey())
          await grantor.request({ method: 'wallet_grantPermissions', params: [{ expiry: 3600, signer: { type: 'account', data: { id: key } }, permissions }] })
          if (expired) clock += 3600
          const optedIn = (kind: 'hashes' | 'messages' | 'typedData') => provided[kind] && granted[kind]
          let signature: Hex | undefined
          let error: unknown
          try {
            signature = (await provider.request(
              'message' in asked
                ? { method: 'personal_sign', params: [asked.message, key] }
                : { method: 'eth_signTypedData_v4', params: [key, JSON.stringify(asked.typedData)] },
            )) as Hex
          } catch (e) {
            error = e
          }
          const outcome = signature === undefined ? 'refused' : 'signed'
          counts[`${asked.label}:${outcome}`] = (counts[`${asked.label}:${outcome}`] ?? 0) + 1
          expect(inner.paramsOf('personal_sign').length + inner.paramsOf('eth_signTypedData_v4').length).toBe(0)
          if (signature === undefined) {
            expect((error as { code?: unknown }).code).toBe(4100)
            return
          }
          expect(expired).toBe(false)
          if ('message' in asked) {
            expect(asked.label === 'hash' ? optedIn('hashes') : optedIn('hashes') || optedIn('messages')).toBe(true)
            expect(await recoverMessageAddress({ message: { raw: asked.message }, signature })).toBe(key)
          } else {
            // Addressed to a contract outside this grant, touching data is benign.
            const touched = new Set([account, permit2Address, ...permissions.map((p) => p.data.address)].map((a) => a.toLowerCase()))
            expect(asked.label === 'benign' || (asked.label === 'touching' && !touched.has(asked.at.toLowerCase()))).toBe(true)
            expect(optedIn('typedData')).toBe(true)
            expect(await recoverAddress({ hash: hashTypedData(asked.typedData as never), signature })).toBe(key)
          }
        },
      ),
      { numRuns: 5_000, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31) },
    )
    console.info(`signing property: ${runs} cases`, counts)
    // Liveness: each kind that may be signed was signed some of the time.
    for (const label of ['benign', 'hash', 'text']) expect(counts[`${label}:signed`] ?? 0).toBeGreaterThan(20)
  }, 300_000)
})
