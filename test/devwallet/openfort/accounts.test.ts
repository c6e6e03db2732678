import { P256 } from 'ox'
import {
  type Address,
  type Hex,
  concat,
  createPublicClient,
  createWalletClient,
  decodeErrorResult,
  encodeAbiParameters,
  encodeErrorResult,
  encodeFunctionData,
  hashTypedData,
  http,
  keccak256,
  maxUint48,
  numberToHex,
  pad,
  parseEther,
  toFunctionSelector,
} from 'viem'
import { type PrivateKeyAccount, generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { beforeAll, describe, expect, test } from 'vitest'
import { demoNftAbi, demoTokenAbi, openfortDelegatedAccountAbi, openfortSmartAccountAbi } from '../../../src/devwallet/artifacts.js'
import { type AccountCall, deployDemoNft, deployDemoToken, executeTypedData, randomExecuteNonce } from '../../../src/devwallet/contracts.js'
import { revertError } from '../../../src/devwallet/errors.js'
import {
  delegateToOpenfort,
  deployOpenfortDelegatedImplementation,
  deployOpenfortSmartAccount,
  openfortDomainNames,
  type OpenfortAccountType,
} from '../../../src/devwallet/openfort/accounts.js'
import { generateP256Key, p256Signer } from '../../../src/sessions/p256Key.js'
import { fund } from '../../../src/devwallet/wallet.js'
import { delegated, delegatedKey, delegatedKeyId } from '../../../src/wallets/openfortDelegated/abi.js'
import { delegatedRegistrationData } from '../../../src/wallets/openfortDelegated/keyRegistration.js'
import { useSharedChain } from '../../utils/chain.js'

/*
 * The facts of Openfort's published account contracts, one test each, against keyleash's models of
 * them (contracts/OpenfortAccounts.sol) on the dev chain: owner batches register keys, key batches
 * are relayed, and every refusal names the rule it breaks.
 */

const { rpcUrl, testClient } = useSharedChain()
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 10 })
const relayer = createWalletClient({ account: privateKeyToAccount(generatePrivateKey()), chain: anvil, transport: http(rpcUrl) })
const abis = { 'Smart Account': openfortSmartAccountAbi, 'Delegated Account': openfortDelegatedAccountAbi } as const
let nft: Address
let token: Address
let implementation: Address

beforeAll(async () => {
  await fund(publicClient, relayer.account.address, parseEther('1000'))
  nft = await deployDemoNft(relayer, publicClient)
  token = await deployDemoToken(relayer, publicClient)
  implementation = await deployOpenfortDelegatedImplementation(relayer, publicClient)
}, 60_000)

type Account = { type: OpenfortAccountType; address: Address; owner: PrivateKeyAccount }

async function smartAccount(): Promise<Account> {
  const owner = privateKeyToAccount(generatePrivateKey())
  return { type: 'Smart Account', address: await deployOpenfortSmartAccount(relayer, publicClient, owner.address), owner }
}

async function delegatedAccount(): Promise<Account> {
  const owner = privateKeyToAccount(generatePrivateKey())
  await delegateToOpenfort(relayer, publicClient, owner.address, await owner.signAuthorization({ contractAddress: implementation, chainId: anvil.id, nonce: 0 }))
  await relayer.sendTransaction({ to: owner.address, value: parseEther('1') })
  return { type: 'Delegated Account', address: owner.address, owner }
}

const digestOf = (account: Account, calls: AccountCall[], nonce: bigint) => hashTypedData(executeTypedData(account.address, anvil.id, calls, nonce, openfortDomainNames[account.type]))

/** Runs `calls` on the account, signed by `sign`; resolves to the decoded revert, or 'ok'. */
async function run(account: Account, calls: AccountCall[], sign: (digest: Hex) => Promise<Hex>): Promise<string> {
  const nonce = randomExecuteNonce()
  const args = [calls, nonce, await sign(digestOf(account, calls, nonce))] as const
  try {
    const gas = await publicClient.estimateContractGas({ address: account.address, abi: abis[account.type] as typeof openfortSmartAccountAbi, functionName: 'execute', args, account: relayer.account })
    const hash = await relayer.writeContract({ address: account.address, abi: abis[account.type] as typeof openfortSmartAccountAbi, functionName: 'execute', args, gas })
    expect((await publicClient.waitForTransactionReceipt({ hash })).status).toBe('success')
    return 'ok'
  } catch (error) {
    const { data } = revertError(error) as { data?: { errorName?: string; args?: unknown[] } }
    return `${data?.errorName}(${(data?.args ?? []).map(String).join(', ')})`
  }
}
const asOwner = (account: Account, calls: AccountCall[]) => run(account, calls, (digest) => account.owner.sign({ hash: digest }))
const asKey = (account: Account, key: PrivateKeyAccount, calls: AccountCall[]) => run(account, calls, (digest) => key.sign({ hash: digest }))
const self = (account: Account, data: Hex): AccountCall => ({ target: account.address, value: 0n, data })
const mint = (account: Account): AccountCall => ({ target: nft, value: 0n, data: encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [account.address] }) })
const now = async () => Number((await publicClient.getBlock()).timestamp)

describe('Smart Account (BaseOpenfortAccount)', () => {
  const register = async (account: Account, key: Address, limit: number, whitelist: Address[]) => {
    const start = await now()
    return asOwner(account, [self(account, encodeFunctionData({ abi: openfortSmartAccountAbi, functionName: 'registerSessionKey', args: [key, start - 1, start + 3600, limit, whitelist] }))])
  }
  const limitOf = async (account: Account, key: Address) => (await publicClient.readContract({ address: account.address, abi: openfortSmartAccountAbi, functionName: 'sessionKeys', args: [key] }))[2]

  test('behavior: a whitelist holds at most 10 targets; 11 are refused', async () => {
    const account = await smartAccount()
    const targets = (n: number) => Array.from({ length: n }, () => privateKeyToAccount(generatePrivateKey()).address)
    expect(await register(account, privateKeyToAccount(generatePrivateKey()).address, 5, targets(10))).toBe('ok')
    expect(await register(account, privateKeyToAccount(generatePrivateKey()).address, 5, targets(11))).toMatch(/^CallFailed\(0, 0x/)
    expect(revertOf(await registerRaw(account, targets(11)))).toBe('WhitelistTooBig(11, 10)')
  })

  test('behavior: the limit counts calls: a batch of 3 uses 3, and a batch over what is left is refused', async () => {
    const account = await smartAccount()
    const key = privateKeyToAccount(generatePrivateKey())
    await register(account, key.address, 5, [nft])
    expect(await asKey(account, key, [mint(account), mint(account), mint(account)])).toBe('ok')
    expect(await limitOf(account, key.address)).toBe(2)
    expect(await asKey(account, key, [mint(account), mint(account), mint(account)])).toBe(`LimitReached(${key.address}, 2, 3)`)
  })

  test('behavior: a batch holds at most 9 calls, whoever signs it', async () => {
    const account = await smartAccount()
    expect(await asOwner(account, Array.from({ length: 10 }, () => mint(account)))).toBe('BatchTooBig(10, 9)')
    expect(await asOwner(account, Array.from({ length: 9 }, () => mint(account)))).toBe('ok')
  })

  test('behavior: no whitelist and a limit of 2^48-1 is a master key: any target, the account itself too', async () => {
    const account = await smartAccount()
    const master = privateKeyToAccount(generatePrivateKey())
    await register(account, master.address, Number(maxUint48), [])
    const tokenMint: AccountCall = { target: token, value: 0n, data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'mint', args: [account.address, 1n] }) }
    expect(await asKey(account, master, [tokenMint, mint(account), self(account, encodeFunctionData({ abi: openfortSmartAccountAbi, functionName: 'owner' }))])).toBe('ok')
    // One less is not a master key: no whitelist, so any target, but never the account itself.
    const almost = privateKeyToAccount(generatePrivateKey())
    await register(account, almost.address, Number(maxUint48) - 1, [])
    expect(await asKey(account, almost, [tokenMint])).toBe('ok')
    expect(await asKey(account, almost, [self(account, encodeFunctionData({ abi: openfortSmartAccountAbi, functionName: 'owner' }))])).toBe(`SelfCall(${almost.address})`)
  })

  test('behavior: a key may not call the account itself, even whitelisted; nor can a master key register keys', async () => {
    const account = await smartAccount()
    const key = privateKeyToAccount(generatePrivateKey())
    await register(account, key.address, 5, [account.address, nft])
    expect(await asKey(account, key, [self(account, encodeFunctionData({ abi: openfortSmartAccountAbi, functionName: 'owner' }))])).toBe(`SelfCall(${key.address})`)
    const master = privateKeyToAccount(generatePrivateKey())
    await register(account, master.address, Number(maxUint48), [])
    const start = await now()
    const registerOther = self(account, encodeFunctionData({ abi: openfortSmartAccountAbi, functionName: 'registerSessionKey', args: [key.address, start, start + 60, 1, []] }))
    expect(await asKey(account, master, [registerOther])).toBe('CallFailed(0, 0x30cd7471)')
  })

  test('behavior: no selector, value or token checks: a whitelisted key calls any function of its target', async () => {
    const account = await smartAccount()
    const key = privateKeyToAccount(generatePrivateKey())
    await register(account, key.address, 5, [nft, token])
    const approveAll: AccountCall = { target: nft, value: 0n, data: encodeFunctionData({ abi: demoNftAbi, functionName: 'setApprovalForAll', args: [key.address, true] }) }
    const tokenMint: AccountCall = { target: token, value: 0n, data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'mint', args: [account.address, 10n ** 30n] }) }
    const transfer: AccountCall = { target: token, value: 0n, data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'transfer', args: [key.address, 10n ** 30n] }) }
    expect(await asKey(account, key, [approveAll, tokenMint, transfer])).toBe('ok')
    expect(await asKey(account, key, [{ target: token, value: 0n, data: '0x' }])).toMatch(/^CallFailed/)
    expect(await asKey(account, key, [{ target: privateKeyToAccount(generatePrivateKey()).address, value: 0n, data: '0x' }])).toMatch(/^TargetNotWhitelisted/)
  })

  test('behavior: ERC-1271 takes a live key\'s signature over ANY hash (as OpenfortMessage) as the account\'s, until it is revoked', async () => {
    const account = await smartAccount()
    const key = privateKeyToAccount(generatePrivateKey())
    await register(account, key.address, 5, [nft])
    const permit2Hash = pad('0x1234', { size: 32 })
    const wrapped = hashTypedData({
      domain: { name: openfortDomainNames['Smart Account'], version: '1', chainId: anvil.id, verifyingContract: account.address },
      types: { OpenfortMessage: [{ name: 'hashedMessage', type: 'bytes32' }] },
      primaryType: 'OpenfortMessage',
      message: { hashedMessage: permit2Hash },
    })
    const valid = () => publicClient.readContract({ address: account.address, abi: openfortSmartAccountAbi, functionName: 'isValidSignature', args: [permit2Hash, signature] })
    const signature = await key.sign({ hash: wrapped })
    expect(await valid()).toBe('0x1626ba7e')
    await asOwner(account, [self(account, encodeFunctionData({ abi: openfortSmartAccountAbi, functionName: 'revokeSessionKey', args: [key.address] }))])
    expect(await valid()).toBe('0xffffffff')
  })

  /** The owner's registration sent straight from the owner (not through `execute`), to read the account's own revert. */
  async function registerRaw(account: Account, whitelist: Address[]) {
    const start = await now()
    const owner = createWalletClient({ account: account.owner, chain: anvil, transport: http(rpcUrl) })
    await relayer.sendTransaction({ to: account.owner.address, value: parseEther('1') })
    return owner
      .writeContract({ address: account.address, abi: openfortSmartAccountAbi, functionName: 'registerSessionKey', args: [account.owner.address, start, start + 60, 1, whitelist] })
      .catch((error: unknown) => error)
  }
})

describe('Delegated Account (openfort-7702-account\'s key manager, EIP-7702)', () => {
  type KeyDataReg = { keyType: number; validUntil: number; validAfter: number; limits: number; key: Hex; keyControl: number }
  const p256Id = (keyType: number, x: Hex, y: Hex) => keccak256(encodeAbiParameters([{ type: 'uint8' }, { type: 'bytes32' }], [keyType, keccak256(concat([x, y]))]))
  const call = (account: Account, functionName: string, args: readonly unknown[]) => self(account, encodeFunctionData({ abi: openfortDelegatedAccountAbi, functionName, args } as never))
  /** The owner's batch: `registerKey` of `key` (an hour from now, 10 calls unless told), then `grants` (pairs `[target, selector]`, spends `[token, limit]`). */
  const register = async (account: Account, key: Address | KeyDataReg, pairs: [Address, Hex][] = [[nft, mintSelector]], spends: [Address, bigint][] = [], period = 6) => {
    const start = await now()
    const keyData = typeof key === 'string' ? { keyType: 0, validUntil: start + 3600, validAfter: start - 1, limits: 10, key: delegatedKey(key), keyControl: 0 } : key
    const id = typeof key === 'string' ? delegatedKeyId(key) : keccak256(encodeAbiParameters([{ type: 'uint8' }, { type: 'bytes32' }], [key.keyType, keccak256(key.key)]))
    return asOwner(account, [
      call(account, 'registerKey', [keyData]),
      ...pairs.map(([target, selector]) => call(account, 'setCanCall', [id, target, selector, true])),
      ...spends.map(([spendToken, limit]) => call(account, 'setTokenSpend', [id, spendToken, limit, period])),
    ])
  }
  const keyData = (account: Account, key: Address) => publicClient.readContract({ address: account.address, abi: openfortDelegatedAccountAbi, functionName: 'getKey', args: [delegatedKeyId(key)] })
  const spent = async (account: Account, key: Address, spendToken: Address) =>
    (await publicClient.readContract({ address: account.address, abi: openfortDelegatedAccountAbi, functionName: 'tokenSpend', args: [delegatedKeyId(key), spendToken] }))[2]
  const mintSelector = '0x6a627842'
  const newKey = () => privateKeyToAccount(generatePrivateKey())

  test('default: the account is the owner\'s own address, running the model by EIP-7702; the owner signs for it', async () => {
    const account = await delegatedAccount()
    expect((await publicClient.getCode({ address: account.address }))?.slice(0, 8)).toBe('0xef0100')
    expect(await asOwner(account, [mint(account)])).toBe('ok')
  })

  test('behavior: registerKey files a key at keccak256(abi.encode(keyType, keccak256(key))); it needs a call limit, a window that ends, a key, self-control, and is held once', async () => {
    const account = await delegatedAccount()
    const key = newKey()
    expect(await register(account, key.address)).toBe('ok')
    expect(await publicClient.readContract({ address: account.address, abi: openfortDelegatedAccountAbi, functionName: 'computeKeyId', args: [0, delegatedKey(key.address)] })).toBe(delegatedKeyId(key.address))
    expect(await keyData(account, key.address)).toMatchObject({ keyType: 0, isActive: true, masterKey: false, isDelegatedControl: false, limits: 10, key: delegatedKey(key.address) })
    expect(await register(account, key.address)).toBe(`CallFailed(0, ${encodeErrorResult({ abi: openfortDelegatedAccountAbi, errorName: 'KeyIdAlreadyRegistered', args: [delegatedKeyId(key.address)] })})`)
    const start = await now()
    const reg = (overrides: Partial<KeyDataReg>): KeyDataReg => ({ keyType: 0, validUntil: start + 3600, validAfter: start, limits: 1, key: delegatedKey(newKey().address), keyControl: 0, ...overrides })
    const failure = async (overrides: Partial<KeyDataReg>) => decodeErrorResult({ abi: openfortDelegatedAccountAbi, data: (/, (0x[0-9a-f]+)\)$/.exec(await register(account, reg(overrides), []))?.[1] ?? '0x') as Hex }).errorName
    expect(await failure({ limits: 0 })).toBe('LimitsRequired')
    expect(await failure({ validUntil: Number(maxUint48) })).toBe('InvalidValidity')
    expect(await failure({ validUntil: start - 1 })).toBe('InvalidValidity')
    expect(await failure({ key: '0x' })).toBe('EmptyKey')
    expect(await failure({ keyControl: 1 })).toBe('CustodialKeyNotModelled')
  })

  test('behavior: a key calls only its (target, function) pairs; any-function and any-target sentinels widen them; setCanCall(false) takes one back; never the account itself', async () => {
    const account = await delegatedAccount()
    const key = newKey()
    const approveAll: AccountCall = { target: nft, value: 0n, data: encodeFunctionData({ abi: demoNftAbi, functionName: 'setApprovalForAll', args: [key.address, true] }) }
    const tokenMint: AccountCall = { target: token, value: 0n, data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'mint', args: [account.address, 1n] }) }
    await register(account, key.address)
    expect(await asKey(account, key, [mint(account)])).toBe('ok')
    expect(await asKey(account, key, [approveAll])).toBe(`CallNotAllowed(${key.address}, ${nft}, 0xa22cb465)`)
    expect(await asKey(account, key, [tokenMint])).toMatch(new RegExp(`^CallNotAllowed\\(${key.address}, ${token}, `))
    const id = delegatedKeyId(key.address)
    expect(await asOwner(account, [call(account, 'setCanCall', [id, nft, delegated.anyFunction, true]), call(account, 'setCanCall', [id, delegated.anyTarget, toFunctionSelector('function mint(address,uint256)'), true])])).toBe('ok')
    expect(await asKey(account, key, [approveAll, tokenMint])).toBe('ok')
    expect(await asOwner(account, [call(account, 'setCanCall', [id, nft, delegated.anyFunction, false])])).toBe('ok')
    expect(await asKey(account, key, [approveAll])).toMatch(/^CallNotAllowed/)
    expect(await asKey(account, key, [self(account, '0x6a627842')])).toBe(`SelfCall(${key.address})`)
    expect(await asOwner(account, [call(account, 'setCanCall', [id, account.address, delegated.anyFunction, true])])).toMatch(/^CallFailed\(0, 0x/)
  })

  test('behavior: ETH is spent under a native-token rule by plain transfers (their own pair); a call with value and calldata is charged to its target\'s rule, and refused without one', async () => {
    const account = await delegatedAccount()
    const key = newKey()
    const payee = newKey().address
    await register(account, key.address, [[payee, delegated.plainTransfer], [nft, mintSelector]], [[delegated.nativeToken, 100n]])
    const pay = (value: bigint): AccountCall => ({ target: payee, value, data: '0x' })
    expect(await asKey(account, key, [pay(60n)])).toBe('ok')
    expect(await spent(account, key.address, delegated.nativeToken)).toBe(60n)
    expect(await asKey(account, key, [pay(41n)])).toBe(`SpendLimitExceeded(${key.address}, ${delegated.nativeToken}, 41, 40)`)
    expect(await asKey(account, key, [{ ...mint(account), value: 1n }])).toBe(`NoSpendRule(${key.address}, ${nft})`)
    // With no native-token rule, the account counts no value at all.
    const unbound = newKey()
    await register(account, unbound.address, [[payee, delegated.plainTransfer]])
    expect(await asKey(account, unbound, [pay(parseEther('0.1'))])).toBe('ok')
  })

  test('behavior: a token rule is spent by transfer, approve and transferFrom amounts on that token, for the key\'s life (the model holds no shorter period)', async () => {
    const account = await delegatedAccount()
    const key = newKey()
    await asOwner(account, [{ target: token, value: 0n, data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'mint', args: [account.address, 1000n] }) }])
    await register(account, key.address, [[token, delegated.anyFunction]], [[token, 100n]])
    const transfer = (amount: bigint): AccountCall => ({ target: token, value: 0n, data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'transfer', args: [key.address, amount] }) })
    const approve = (amount: bigint): AccountCall => ({ target: token, value: 0n, data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'approve', args: [key.address, amount] }) })
    expect(await asKey(account, key, [transfer(60n), approve(10n)])).toBe('ok')
    expect(await spent(account, key.address, token)).toBe(70n)
    expect(await asKey(account, key, [transfer(31n)])).toBe(`SpendLimitExceeded(${key.address}, ${token}, 31, 30)`)
    expect(await register(account, newKey().address, [], [[token, 1n]], 2)).toMatch(/^CallFailed\(1, 0x/)
  })

  test('behavior: the limit counts calls (a batch of 3 uses 3); the window is enforced', async () => {
    const account = await delegatedAccount()
    const key = newKey()
    const start = await now()
    await register(account, { keyType: 0, validUntil: start + 3600, validAfter: start - 1, limits: 4, key: delegatedKey(key.address), keyControl: 0 }, [[nft, mintSelector]])
    expect(await asKey(account, key, [mint(account), mint(account), mint(account)])).toBe('ok')
    expect((await keyData(account, key.address)).limits).toBe(1)
    expect(await asKey(account, key, [mint(account), mint(account)])).toBe(`LimitReached(${key.address}, 0, 1)`)
    const later = newKey()
    await register(account, { keyType: 0, validUntil: start + 3600, validAfter: start + 1800, limits: 4, key: delegatedKey(later.address), keyControl: 0 }, [[nft, mintSelector]])
    expect(await asKey(account, later, [mint(account)])).toMatch(new RegExp(`^KeyNotValidNow\\(${later.address}, `))
  })

  test('behavior: revokeKey drops the key with its pairs and spend rules: registered again, it starts with none', async () => {
    const account = await delegatedAccount()
    const key = newKey()
    await register(account, key.address, [[nft, mintSelector]], [[delegated.nativeToken, 5n]])
    const id = delegatedKeyId(key.address)
    expect(await asOwner(account, [call(account, 'revokeKey', [id])])).toBe('ok')
    expect(await asKey(account, key, [mint(account)])).toBe(`UnknownKey(${key.address})`)
    expect(await asOwner(account, [call(account, 'revokeKey', [id])])).toMatch(/^CallFailed\(0, 0x/)
    expect(await register(account, key.address, [])).toBe('ok')
    const read = (functionName: 'canExecuteLength' | 'spendTokens') => publicClient.readContract({ address: account.address, abi: openfortDelegatedAccountAbi, functionName, args: [id] })
    expect([await read('canExecuteLength'), await read('spendTokens')]).toStrictEqual([0n, []])
    expect(await asKey(account, key, [mint(account)])).toMatch(/^CallNotAllowed/)
  })

  test('behavior: execute(mode, executionData), ERC-7821\'s flat batch, runs the owner\'s registration in one call, at most 9 calls; a key cannot reach it', async () => {
    const account = await delegatedAccount()
    const key = newKey()
    const registration = { keyId: delegatedKeyId(key.address), keyData: { keyType: 0 as const, validUntil: (await now()) + 3600, validAfter: await now(), limits: 5, key: delegatedKey(key.address), keyControl: 0 as const }, canCall: [{ target: nft, selector: mintSelector as Hex }], spends: [] }
    expect(await asOwner(account, [self(account, delegatedRegistrationData(account.address, registration))])).toBe('ok')
    expect(await asKey(account, key, [mint(account)])).toBe('ok')
    const ten = { ...registration, keyId: delegatedKeyId(newKey().address), canCall: Array.from({ length: 9 }, (_, i) => ({ target: nft, selector: numberToHex(i + 1, { size: 4 }) })) }
    expect(await asOwner(account, [self(account, delegatedRegistrationData(account.address, ten))])).toBe('CallFailed(0, 0xc8ec1345000000000000000000000000000000000000000000000000000000000000000a0000000000000000000000000000000000000000000000000000000000000009)')
    expect(await asKey(account, key, [self(account, delegatedRegistrationData(account.address, registration))])).toBe(`SelfCall(${key.address})`)
  })

  test('behavior: ERC-1271 takes the account\'s own signature only: a live session key\'s is never the account\'s', async () => {
    const account = await delegatedAccount()
    const key = newKey()
    await register(account, key.address)
    const permit2Hash = pad('0x1234', { size: 32 })
    const valid = async (signer: PrivateKeyAccount) =>
      publicClient.readContract({ address: account.address, abi: openfortDelegatedAccountAbi, functionName: 'isValidSignature', args: [permit2Hash, await signer.sign({ hash: permit2Hash })] })
    expect(await valid(account.owner)).toBe('0x1626ba7e')
    expect(await valid(key)).toBe('0xffffffff')
  })

  test('behavior: key types P256 (the digest signed) and P256NONKEY (its SHA-256, a non-extractable WebCrypto key) sign; a WEBAUTHN key registers but this model checks no assertion', async () => {
    const account = await delegatedAccount()
    const start = await now()
    const p256Reg = (keyType: number, x: Hex, y: Hex): KeyDataReg => ({ keyType, validUntil: start + 3600, validAfter: start - 1, limits: 10, key: concat([x, y]), keyControl: 0 })
    // P256: an extractable key signs the digest itself.
    const privateKey = P256.randomPrivateKey()
    const point = P256.getPublicKey({ privateKey })
    const x = numberToHex(point.x, { size: 32 })
    const y = numberToHex(point.y, { size: 32 })
    expect(await register(account, p256Reg(2, x, y))).toBe('ok')
    const p256 = await run(account, [mint(account)], async (digest) => {
      const { r, s } = P256.sign({ payload: digest, privateKey })
      // The account takes the low-s form only (no malleable twin).
      const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
      return concat(['0x02', x, y, numberToHex(r, { size: 32 }), numberToHex(s > n / 2n ? n - s : s, { size: 32 })])
    })
    expect(p256).toBe('ok')
    // P256NONKEY: WebCrypto hashes the message with SHA-256 before it signs.
    const pair = await generateP256Key()
    const signer = p256Signer(pair)
    const [nx, ny] = [`0x${pair.publicKey.slice(4, 68)}`, `0x${pair.publicKey.slice(68)}`] as [Hex, Hex]
    expect(await register(account, p256Reg(3, nx, ny))).toBe('ok')
    expect(p256Id(3, nx, ny)).not.toBe(p256Id(2, nx, ny))
    const nonKey = await run(account, [mint(account)], async (digest) => concat(['0x03', nx, ny, await signer.sign({ hash: digest })]))
    expect(nonKey).toBe('ok')
    // The same WebCrypto signature sent as a P256 key's is refused: the type is part of the key's id.
    const mismatch = await run(account, [mint(account)], async (digest) => concat(['0x02', nx, ny, await signer.sign({ hash: digest })]))
    expect(mismatch).toMatch(/^UnknownKey/)
    const webauthn = P256.getPublicKey({ privateKey: P256.randomPrivateKey() })
    expect(await register(account, p256Reg(1, numberToHex(webauthn.x, { size: 32 }), numberToHex(webauthn.y, { size: 32 })))).toBe('ok')
  })
})

function revertOf(error: unknown): string {
  const { data } = revertError(error) as { data?: { errorName?: string; args?: unknown[] } }
  return `${data?.errorName}(${(data?.args ?? []).map(String).join(', ')})`
}
