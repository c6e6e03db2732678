import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  type Hex,
  type PrivateKeyAccount,
  concat,
  createPublicClient,
  createWalletClient,
  decodeErrorResult,
  encodeFunctionData,
  hashTypedData,
  http,
  keccak256,
  numberToHex,
  parseEther,
  parseEventLogs,
  parseSignature,
  size,
  slice,
  toFunctionSelector,
  toHex,
  getContractError,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { beforeAll, describe, expect, test } from 'vitest'
import { demoNftAbi, demoTokenAbi, sessionAccountAbi } from '../../src/devwallet/artifacts.js'
import {
  ANY_SELECTOR,
  type AccountCall,
  type SessionScope,
  type TokenAllowance,
  deployDevContracts,
  executeTypedData,
  randomExecuteNonce,
} from '../../src/devwallet/contracts.js'
import { useSharedChain } from '../utils/chain.js'

const { rpcUrl, testClient } = useSharedChain()
const transport = http(rpcUrl)
const publicClient = createPublicClient({ chain: anvil, transport, pollingInterval: 10 })

const owner = privateKeyToAccount(generatePrivateKey())
const relayer = privateKeyToAccount(generatePrivateKey())
const sessionKey = privateKeyToAccount(generatePrivateKey())
const stranger = privateKeyToAccount(generatePrivateKey())
const recipient = privateKeyToAccount(generatePrivateKey()).address
const ownerClient = createWalletClient({ account: owner, chain: anvil, transport })
const relayerClient = createWalletClient({ account: relayer, chain: anvil, transport })
const strangerClient = createWalletClient({ account: stranger, chain: anvil, transport })

let account: Address
let nft: Address
let token: Address
let chainId: number

const sel = {
  mint: toFunctionSelector('mint(address)'),
  transfer: toFunctionSelector('transfer(address,uint256)'),
  transferFrom: toFunctionSelector('transferFrom(address,address,uint256)'),
  approve: toFunctionSelector('approve(address,uint256)'),
  increaseAllowance: toFunctionSelector('increaseAllowance(address,uint256)'),
  permit: toFunctionSelector('permit(address,address,uint256,uint256,uint8,bytes32,bytes32)'),
} as const

beforeAll(async () => {
  for (const a of [owner, relayer, stranger]) await testClient.setBalance({ address: a.address, value: parseEther('100') })
  chainId = await publicClient.getChainId()
  ;({ sessionAccount: account, demoNft: nft, demoToken: token } = await deployDevContracts(ownerClient, publicClient, owner.address))
  await testClient.setBalance({ address: account, value: parseEther('10') })
  await mined(ownerClient.writeContract({ address: token, abi: demoTokenAbi, functionName: 'mint', args: [account, 1_000n] }))
})

// --- helpers -------------------------------------------------------------------------------------

async function mined(hash: Promise<Hex>) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash })
  expect(receipt.status).toBe('success')
  return receipt
}

async function now(): Promise<number> {
  return Number((await publicClient.getBlock()).timestamp)
}

type Registration = {
  validUntil?: number
  scopes?: SessionScope[]
  callLimit?: number
  nativeAllowance?: bigint
  tokens?: TokenAllowance[]
}

async function registerArgs(key: Address, r: Registration) {
  return [
    key,
    r.validUntil ?? (await now()) + 3600,
    r.scopes ?? [],
    r.callLimit ?? 0,
    r.nativeAllowance ?? 0n,
    r.tokens ?? [],
  ] as const
}

async function register(r: Registration, key: Address = sessionKey.address) {
  return mined(
    ownerClient.writeContract({ address: account, abi: sessionAccountAbi, functionName: 'registerSession', args: await registerArgs(key, r) }),
  )
}

function sign(signer: PrivateKeyAccount, calls: AccountCall[], nonce: bigint): Promise<Hex> {
  return signer.signTypedData(executeTypedData(account, chainId, calls, nonce))
}

/** Submits a signed batch through the relayer and waits for it to be mined. */
async function send(signer: PrivateKeyAccount, calls: AccountCall[], nonce = randomExecuteNonce()) {
  const signature = await sign(signer, calls, nonce)
  return mined(relayerClient.writeContract({ address: account, abi: sessionAccountAbi, functionName: 'execute', args: [calls, nonce, signature] }))
}

/**
 * Runs a signed batch with eth_call (optionally at a chosen block time) and throws viem's decoded
 * contract error, so reverts are checked without mining and expiry can be tested to the second.
 */
async function attempt(
  signer: PrivateKeyAccount,
  calls: AccountCall[],
  options: { nonce?: bigint; time?: number; signature?: Hex } = {},
) {
  const nonce = options.nonce ?? randomExecuteNonce()
  const signature = options.signature ?? (await sign(signer, calls, nonce))
  const args = [calls, nonce, signature] as const
  try {
    await publicClient.call({
      account: relayer.address,
      to: account,
      data: encodeFunctionData({ abi: sessionAccountAbi, functionName: 'execute', args }),
      blockOverrides: options.time === undefined ? undefined : { time: BigInt(options.time) },
    })
  } catch (e) {
    throw getContractError(e as BaseError, { abi: sessionAccountAbi, address: account, args, functionName: 'execute' })
  }
}

/** Asserts that `promise` reverts with custom error `errorName(...args)`. */
async function expectRevert(promise: Promise<unknown>, errorName: string, args: readonly unknown[]) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, `expected ${errorName} but the call succeeded`).toBeInstanceOf(BaseError)
  const reverted = (error as BaseError).walk((e) => e instanceof ContractFunctionRevertedError)
  expect(reverted, String(error)).toBeInstanceOf(ContractFunctionRevertedError)
  const data = (reverted as ContractFunctionRevertedError).data
  expect({ errorName: data?.errorName, args: data?.args ?? [] }).toEqual({ errorName, args })
}

function readSession(key: Address = sessionKey.address) {
  return publicClient.readContract({ address: account, abi: sessionAccountAbi, functionName: 'getSession', args: [key] })
}

function mintNft(to: Address = account): AccountCall {
  return { target: nft, value: 0n, data: encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [to] }) }
}

function tokenCall(data: Hex): AccountCall {
  return { target: token, value: 0n, data }
}

function transfer(amount: bigint): AccountCall {
  return tokenCall(encodeFunctionData({ abi: demoTokenAbi, functionName: 'transfer', args: [recipient, amount] }))
}

function pay(to: Address, value: bigint, data: Hex = '0x'): AccountCall {
  return { target: to, value, data }
}

const nftScope = (): SessionScope => ({ target: nft, selector: sel.mint })

// --- tests ---------------------------------------------------------------------------------------

describe('SessionAccount: deployment and reading', () => {
  test('default: owner() is the constructor argument and the account holds funds', async () => {
    expect(await publicClient.readContract({ address: account, abi: sessionAccountAbi, functionName: 'owner' })).toBe(owner.address)
    expect(await publicClient.getBalance({ address: account })).toBe(parseEther('10'))
  })

  test('default: executeDigest equals viem hashTypedData of executeTypedData', async () => {
    const calls = [mintNft(), pay(recipient, 5n), tokenCall('0x1234')]
    const nonce = 2n ** 200n + 7n
    const onChain = await publicClient.readContract({ address: account, abi: sessionAccountAbi, functionName: 'executeDigest', args: [calls, nonce] })
    expect(onChain).toBe(hashTypedData(executeTypedData(account, chainId, calls, nonce)))
    const empty = await publicClient.readContract({ address: account, abi: sessionAccountAbi, functionName: 'executeDigest', args: [[], 0n] })
    expect(empty).toBe(hashTypedData(executeTypedData(account, chainId, [], 0n)))
  })

  test('default: getSession reads back the whole registration', async () => {
    const validUntil = (await now()) + 1000
    const receipt = await register({
      validUntil,
      scopes: [nftScope(), { target: token, selector: ANY_SELECTOR }],
      callLimit: 7,
      nativeAllowance: 123n,
      tokens: [{ token, allowance: 500n }],
    })
    const [event] = parseEventLogs({ abi: sessionAccountAbi, logs: receipt.logs, eventName: 'SessionRegistered' })
    expect(event?.args).toEqual({ key: sessionKey.address, validUntil })
    expect(await readSession()).toEqual({
      exists: true,
      revoked: false,
      validUntil,
      callLimit: 7,
      callsUsed: 0,
      nativeAllowance: 123n,
      nativeUsed: 0n,
      scopes: [nftScope(), { target: token, selector: ANY_SELECTOR }],
      tokens: [{ token, allowance: 500n, spent: 0n }],
    })
    expect(await publicClient.readContract({ address: account, abi: sessionAccountAbi, functionName: 'tokenSpend', args: [sessionKey.address, token] })).toEqual([true, 500n, 0n])
    expect(await publicClient.readContract({ address: account, abi: sessionAccountAbi, functionName: 'tokenSpend', args: [sessionKey.address, nft] })).toEqual([false, 0n, 0n])
    expect((await readSession(stranger.address)).exists).toBe(false)
  })
})

describe('SessionAccount: registering and revoking', () => {
  test('error: only the owner may register a session', async () => {
    await expectRevert(
      publicClient.simulateContract({ account: stranger, address: account, abi: sessionAccountAbi, functionName: 'registerSession', args: await registerArgs(stranger.address, {}) }),
      'NotOwner',
      [],
    )
  })

  test('error: only the owner may revoke a session', async () => {
    await register({})
    await expectRevert(
      publicClient.simulateContract({ account: stranger, address: account, abi: sessionAccountAbi, functionName: 'revokeSession', args: [sessionKey.address] }),
      'NotOwner',
      [],
    )
  })

  test('error: the zero address cannot be a session key', async () => {
    await expectRevert(
      publicClient.simulateContract({ account: owner, address: account, abi: sessionAccountAbi, functionName: 'registerSession', args: await registerArgs('0x0000000000000000000000000000000000000000', {}) }),
      'InvalidSessionKey',
      [],
    )
  })

  test('error: two allowances for one token are rejected', async () => {
    await expectRevert(
      publicClient.simulateContract({ account: owner,
        address: account,
        abi: sessionAccountAbi,
        functionName: 'registerSession',
        args: await registerArgs(sessionKey.address, { tokens: [{ token, allowance: 1n }, { token, allowance: 2n }] }),
      }),
      'DuplicateTokenAllowance',
      [token],
    )
  })

  test('behavior: the owner may register a session through an owner-signed execute self-call', async () => {
    const data = encodeFunctionData({ abi: sessionAccountAbi, functionName: 'registerSession', args: await registerArgs(sessionKey.address, { scopes: [nftScope()] }) })
    await send(owner, [{ target: account, value: 0n, data }])
    expect((await readSession()).scopes).toEqual([nftScope()])
    await send(sessionKey, [mintNft()])
  })

  test('behavior: the owner may revoke a session through an owner-signed execute self-call', async () => {
    await register({ scopes: [nftScope()] })
    const data = encodeFunctionData({ abi: sessionAccountAbi, functionName: 'revokeSession', args: [sessionKey.address] })
    await send(owner, [{ target: account, value: 0n, data }])
    expect((await readSession()).revoked).toBe(true)
  })

  test('behavior: re-registering a key overwrites scopes, limits and usage and un-revokes it', async () => {
    await register({ scopes: [nftScope(), { target: token, selector: sel.transfer }], callLimit: 5, nativeAllowance: 10n, tokens: [{ token, allowance: 100n }] })
    await send(sessionKey, [mintNft(), transfer(40n), pay(recipient, 3n)])
    expect(await readSession()).toMatchObject({ callsUsed: 3, nativeUsed: 3n, tokens: [{ token, allowance: 100n, spent: 40n }] })
    await mined(ownerClient.writeContract({ address: account, abi: sessionAccountAbi, functionName: 'revokeSession', args: [sessionKey.address] }))

    await register({ scopes: [{ target: token, selector: sel.approve }], callLimit: 1 })
    expect(await readSession()).toMatchObject({
      revoked: false,
      callLimit: 1,
      callsUsed: 0,
      nativeAllowance: 0n,
      nativeUsed: 0n,
      scopes: [{ target: token, selector: sel.approve }],
      tokens: [],
    })
    // The old scope and the old token allowance are gone.
    await expectRevert(attempt(sessionKey, [mintNft()]), 'TargetNotAllowed', [nft])
    await expectRevert(attempt(sessionKey, [transfer(1n)]), 'SelectorNotAllowed', [token, sel.transfer])
    expect(await publicClient.readContract({ address: account, abi: sessionAccountAbi, functionName: 'tokenSpend', args: [sessionKey.address, token] })).toEqual([false, 0n, 0n])
  })

  test('behavior: revoking emits SessionRevoked and marks the session revoked', async () => {
    await register({ scopes: [nftScope()] })
    const receipt = await mined(ownerClient.writeContract({ address: account, abi: sessionAccountAbi, functionName: 'revokeSession', args: [sessionKey.address] }))
    const [event] = parseEventLogs({ abi: sessionAccountAbi, logs: receipt.logs, eventName: 'SessionRevoked' })
    expect(event?.args).toEqual({ key: sessionKey.address })
    expect((await readSession()).revoked).toBe(true)
  })

  test('error: revoking an unknown key reverts UnknownSession', async () => {
    await expectRevert(
      publicClient.simulateContract({ account: owner, address: account, abi: sessionAccountAbi, functionName: 'revokeSession', args: [stranger.address] }),
      'UnknownSession',
      [stranger.address],
    )
  })
})

describe('SessionAccount: execute, signatures and nonces', () => {
  test('behavior: the owner may make any call, and Executed names signer, nonce and call count', async () => {
    const receipt = await send(owner, [mintNft(recipient), pay(recipient, 9n), transfer(1n)], 42n)
    const [event] = parseEventLogs({ abi: sessionAccountAbi, logs: receipt.logs, eventName: 'Executed' })
    expect(event?.args).toEqual({ signer: owner.address, nonce: 42n, calls: 3n })
    expect(await publicClient.getBalance({ address: recipient })).toBe(9n)
    expect(await publicClient.readContract({ address: nft, abi: demoNftAbi, functionName: 'ownerOf', args: [1n] })).toBe(recipient)
  })

  test('behavior: a session key call within scope runs, and Executed names the key', async () => {
    await register({ scopes: [nftScope()] })
    const receipt = await send(sessionKey, [mintNft()], 1n)
    const [event] = parseEventLogs({ abi: sessionAccountAbi, logs: receipt.logs, eventName: 'Executed' })
    expect(event?.args).toEqual({ signer: sessionKey.address, nonce: 1n, calls: 1n })
    expect(await publicClient.readContract({ address: nft, abi: demoNftAbi, functionName: 'ownerOf', args: [1n] })).toBe(account)
  })

  test('behavior: nonces are unordered: any unused nonce is accepted, in any order', async () => {
    for (const nonce of [5n, 2n, 2n ** 255n, 0n]) await send(owner, [pay(recipient, 1n)], nonce)
    expect(await publicClient.readContract({ address: account, abi: sessionAccountAbi, functionName: 'isNonceUsed', args: [2n] })).toBe(true)
    expect(await publicClient.readContract({ address: account, abi: sessionAccountAbi, functionName: 'isNonceUsed', args: [3n] })).toBe(false)
  })

  test('error: a replayed nonce reverts NonceAlreadyUsed', async () => {
    const calls = [pay(recipient, 1n)]
    const signature = await sign(owner, calls, 77n)
    await mined(relayerClient.writeContract({ address: account, abi: sessionAccountAbi, functionName: 'execute', args: [calls, 77n, signature] }))
    await expectRevert(attempt(owner, calls, { nonce: 77n, signature }), 'NonceAlreadyUsed', [77n])
    // A different batch signed for the same nonce is refused too.
    await expectRevert(attempt(owner, [pay(recipient, 2n)], { nonce: 77n }), 'NonceAlreadyUsed', [77n])
  })

  test('error: a signature that does not recover reverts InvalidSignature', async () => {
    const calls = [pay(recipient, 1n)]
    const good = await sign(owner, calls, 1n)
    await expectRevert(attempt(owner, calls, { nonce: 1n, signature: slice(good, 0, 64) }), 'InvalidSignature', [])
    await expectRevert(attempt(owner, calls, { nonce: 1n, signature: concat([slice(good, 0, 64), '0x05']) }), 'InvalidSignature', [])
  })

  test('error: a malleable (high-s) signature reverts InvalidSignature', async () => {
    const calls = [pay(recipient, 1n)]
    const { r, s, yParity } = parseSignature(await sign(owner, calls, 1n))
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
    const flipped = concat([r, numberToHex(n - BigInt(s), { size: 32 }), toHex(yParity === 0 ? 28 : 27)])
    expect(size(flipped)).toBe(65)
    await expectRevert(attempt(owner, calls, { nonce: 1n, signature: flipped }), 'InvalidSignature', [])
  })

  test('error: a batch signed by a key that is not a session reverts UnknownSession', async () => {
    await expectRevert(attempt(stranger, [mintNft()]), 'UnknownSession', [stranger.address])
  })

  test('error: a batch signed for another nonce recovers another signer: UnknownSession', async () => {
    await register({ scopes: [nftScope()] })
    const signature = await sign(sessionKey, [mintNft()], 1n)
    const error = await attempt(sessionKey, [mintNft()], { nonce: 2n, signature }).catch((e: unknown) => e)
    const reverted = (error as BaseError).walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError
    expect(reverted.data?.errorName).toBe('UnknownSession')
    expect(reverted.data?.args?.[0]).not.toBe(sessionKey.address)
  })

  test('error: a failing inner call reverts the batch with CallFailed(index, reason)', async () => {
    await register({ scopes: [nftScope(), { target: token, selector: sel.transfer }] })
    const error = await attempt(sessionKey, [mintNft(), transfer(5_000n)]).catch((e: unknown) => e)
    const reverted = (error as BaseError).walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError
    expect(reverted.data?.errorName).toBe('CallFailed')
    const [index, reason] = reverted.data?.args as [bigint, Hex]
    expect(index).toBe(1n)
    expect(decodeErrorResult({ abi: demoTokenAbi, data: reason })).toMatchObject({ errorName: 'ERC20InsufficientBalance', args: [account, 1_000n, 5_000n] })
    // Nothing of the batch was recorded.
    expect((await readSession()).callsUsed).toBe(0)
  })
})

describe('SessionAccount: session rules, in order', () => {
  test('error: a revoked session reverts SessionIsRevoked', async () => {
    await register({ scopes: [nftScope()] })
    await mined(ownerClient.writeContract({ address: account, abi: sessionAccountAbi, functionName: 'revokeSession', args: [sessionKey.address] }))
    await expectRevert(attempt(sessionKey, [mintNft()]), 'SessionIsRevoked', [sessionKey.address])
  })

  test('error: revocation is checked before expiry', async () => {
    const validUntil = (await now()) + 100
    await register({ validUntil, scopes: [nftScope()] })
    await mined(ownerClient.writeContract({ address: account, abi: sessionAccountAbi, functionName: 'revokeSession', args: [sessionKey.address] }))
    await expectRevert(attempt(sessionKey, [mintNft()], { time: validUntil + 10 }), 'SessionIsRevoked', [sessionKey.address])
  })

  test('behavior: a session is valid until the second before validUntil', async () => {
    const validUntil = (await now()) + 100
    await register({ validUntil, scopes: [nftScope()] })
    await attempt(sessionKey, [mintNft()], { time: validUntil - 1 })
  })

  test('error: at block.timestamp == validUntil the session reverts SessionExpired', async () => {
    const validUntil = (await now()) + 100
    await register({ validUntil, scopes: [nftScope()] })
    await expectRevert(attempt(sessionKey, [mintNft()], { time: validUntil }), 'SessionExpired', [sessionKey.address, validUntil])
  })

  test('error: a mined batch after expiry reverts SessionExpired', async () => {
    const validUntil = (await now()) + 100
    await register({ validUntil, scopes: [nftScope()] })
    await testClient.setNextBlockTimestamp({ timestamp: BigInt(validUntil + 1) })
    await testClient.mine({ blocks: 1 })
    await expectRevert(attempt(sessionKey, [mintNft()]), 'SessionExpired', [sessionKey.address, validUntil])
  })

  test('error: expiry is checked before the self-call rule', async () => {
    const validUntil = (await now()) + 100
    await register({ validUntil })
    await expectRevert(attempt(sessionKey, [pay(account, 0n)], { time: validUntil }), 'SessionExpired', [sessionKey.address, validUntil])
  })

  test('error: a session key may not call the account itself', async () => {
    // Even with a scope naming the account and ANY selector: registering sessions is the owner's.
    await register({ scopes: [{ target: account, selector: ANY_SELECTOR }], nativeAllowance: 1n })
    const data = encodeFunctionData({ abi: sessionAccountAbi, functionName: 'registerSession', args: await registerArgs(stranger.address, {}) })
    await expectRevert(attempt(sessionKey, [{ target: account, value: 0n, data }]), 'SelfCallNotAllowed', [sessionKey.address])
    await expectRevert(attempt(sessionKey, [pay(account, 0n)]), 'SelfCallNotAllowed', [sessionKey.address])
  })

  test('error: the self-call rule is checked on every call of the batch', async () => {
    await register({ scopes: [nftScope()] })
    await expectRevert(attempt(sessionKey, [mintNft(), pay(account, 0n, sel.mint)]), 'SelfCallNotAllowed', [sessionKey.address])
  })

  test('behavior: a registered (target, selector) pair is allowed', async () => {
    await register({ scopes: [nftScope()] })
    await send(sessionKey, [mintNft(), mintNft()])
    expect(await publicClient.readContract({ address: nft, abi: demoNftAbi, functionName: 'balanceOf', args: [account] })).toBe(2n)
  })

  test('behavior: ANY_SELECTOR allows every function of its target', async () => {
    await register({ scopes: [{ target: token, selector: ANY_SELECTOR }] })
    await send(sessionKey, [
      transfer(1n),
      tokenCall(encodeFunctionData({ abi: demoTokenAbi, functionName: 'mint', args: [account, 1n] })),
      tokenCall(encodeFunctionData({ abi: demoTokenAbi, functionName: 'approve', args: [recipient, 1n] })),
    ])
  })

  test('error: a target with no registered scope reverts TargetNotAllowed', async () => {
    await register({ scopes: [nftScope()] })
    await expectRevert(attempt(sessionKey, [transfer(1n)]), 'TargetNotAllowed', [token])
  })

  test('error: an unregistered selector on a scoped target reverts SelectorNotAllowed', async () => {
    await register({ scopes: [{ target: token, selector: sel.transfer }] })
    const approve = tokenCall(encodeFunctionData({ abi: demoTokenAbi, functionName: 'approve', args: [recipient, 1n] }))
    await expectRevert(attempt(sessionKey, [transfer(1n), approve]), 'SelectorNotAllowed', [token, sel.approve])
  })

  test('error: calldata shorter than 4 bytes has selector 0x00000000', async () => {
    await register({ scopes: [{ target: token, selector: sel.transfer }] })
    await expectRevert(attempt(sessionKey, [tokenCall('0xa905')]), 'SelectorNotAllowed', [token, '0x00000000'])
  })

  test('behavior: with a native allowance, a call without data is a plain transfer to any target', async () => {
    await register({ nativeAllowance: parseEther('1') })
    await send(sessionKey, [pay(recipient, parseEther('0.5')), pay(stranger.address, 0n)])
    expect(await publicClient.getBalance({ address: recipient })).toBe(parseEther('0.5'))
  })

  test('error: without a native allowance, a call without data needs a scope (selector 0x00000000)', async () => {
    await register({ scopes: [nftScope()] })
    await expectRevert(attempt(sessionKey, [pay(recipient, 0n)]), 'TargetNotAllowed', [recipient])
    await expectRevert(attempt(sessionKey, [pay(nft, 0n)]), 'SelectorNotAllowed', [nft, '0x00000000'])
  })

  test('behavior: a (target, 0x00000000) scope allows a call without data when there is no native allowance', async () => {
    await register({ scopes: [{ target: recipient, selector: '0x00000000' }] })
    await send(sessionKey, [pay(recipient, 0n)])
  })

  test('error: a plain transfer with a native allowance still needs a scope when it carries data', async () => {
    await register({ nativeAllowance: parseEther('1') })
    await expectRevert(attempt(sessionKey, [pay(recipient, 1n, '0x12')]), 'TargetNotAllowed', [recipient])
  })

  test('error: the scope is checked before the native value', async () => {
    await register({ scopes: [{ target: token, selector: sel.transfer }] })
    await expectRevert(attempt(sessionKey, [{ target: token, value: 5n, data: sel.approve }]), 'SelectorNotAllowed', [token, sel.approve])
  })

  test('behavior: native value up to the allowance is allowed and recorded', async () => {
    await register({ nativeAllowance: 100n, scopes: [{ target: nft, selector: ANY_SELECTOR }] })
    await send(sessionKey, [pay(recipient, 60n), pay(recipient, 40n), mintNft()])
    expect(await readSession()).toMatchObject({ nativeUsed: 100n, callsUsed: 3 })
  })

  test('error: native value over the allowance reverts ValueOverLimit(value, remaining)', async () => {
    await register({ nativeAllowance: 100n })
    await expectRevert(attempt(sessionKey, [pay(recipient, 101n)]), 'ValueOverLimit', [101n, 100n])
  })

  test('error: native value accumulates across the calls of a batch', async () => {
    await register({ nativeAllowance: 100n })
    await expectRevert(attempt(sessionKey, [pay(recipient, 60n), pay(recipient, 60n)]), 'ValueOverLimit', [60n, 40n])
  })

  test('error: native value accumulates across batches', async () => {
    await register({ nativeAllowance: 100n })
    await send(sessionKey, [pay(recipient, 70n)])
    await expectRevert(attempt(sessionKey, [pay(recipient, 31n)]), 'ValueOverLimit', [31n, 30n])
  })

  test('behavior: value 0 always passes the value rule, even with an exhausted allowance', async () => {
    await register({ nativeAllowance: 10n, scopes: [nftScope()] })
    await send(sessionKey, [pay(recipient, 10n), mintNft()])
  })

  test('error: the value rule is checked before token spend and the call limit', async () => {
    await register({ scopes: [{ target: token, selector: ANY_SELECTOR }], callLimit: 1, tokens: [{ token, allowance: 1n }] })
    await expectRevert(attempt(sessionKey, [{ ...transfer(50n), value: 1n }]), 'ValueOverLimit', [1n, 0n])
  })

  describe('token spend', () => {
    const spender = '0x000000000000000000000000000000000000bEEF'
    const calls = {
      transfer: (amount: bigint) => transfer(amount),
      transferFrom: (amount: bigint) => tokenCall(encodeFunctionData({ abi: demoTokenAbi, functionName: 'transferFrom', args: [account, recipient, amount] })),
      approve: (amount: bigint) => tokenCall(encodeFunctionData({ abi: demoTokenAbi, functionName: 'approve', args: [spender, amount] })),
      increaseAllowance: (amount: bigint) => tokenCall(encodeFunctionData({ abi: demoTokenAbi, functionName: 'increaseAllowance', args: [spender, amount] })),
    }

    test.each(Object.keys(calls) as (keyof typeof calls)[])('behavior: %s within the allowance runs and is recorded', async (name) => {
      await register({ scopes: [{ target: token, selector: ANY_SELECTOR }], tokens: [{ token, allowance: 100n }] })
      // transferFrom spends the account's own allowance, so grant it to the account first.
      if (name === 'transferFrom') await send(owner, [tokenCall(encodeFunctionData({ abi: demoTokenAbi, functionName: 'approve', args: [account, 1_000n] }))])
      await send(sessionKey, [calls[name](30n), calls[name](70n)])
      expect(await publicClient.readContract({ address: account, abi: sessionAccountAbi, functionName: 'tokenSpend', args: [sessionKey.address, token] })).toEqual([true, 100n, 100n])
    })

    test.each(Object.keys(calls) as (keyof typeof calls)[])('error: %s over the allowance reverts SpendOverAllowance(token, amount, remaining)', async (name) => {
      await register({ scopes: [{ target: token, selector: ANY_SELECTOR }], tokens: [{ token, allowance: 100n }] })
      await expectRevert(attempt(sessionKey, [calls[name](101n)]), 'SpendOverAllowance', [token, 101n, 100n])
    })

    test('error: permit counts its value (argument 2) against the allowance', async () => {
      await register({ scopes: [{ target: token, selector: sel.permit }], tokens: [{ token, allowance: 100n }] })
      const permit = encodeFunctionData({
        abi: demoTokenAbi,
        functionName: 'permit',
        args: [recipient, spender, 101n, 2n ** 64n, 27, `0x${'11'.repeat(32)}`, `0x${'22'.repeat(32)}`],
      })
      await expectRevert(attempt(sessionKey, [tokenCall(permit)]), 'SpendOverAllowance', [token, 101n, 100n])
    })

    test('behavior: a permit within the allowance runs and is recorded', async () => {
      await register({ scopes: [{ target: token, selector: sel.permit }], tokens: [{ token, allowance: 100n }] })
      const holder = privateKeyToAccount(generatePrivateKey())
      const deadline = 2n ** 64n
      const signature = await holder.signTypedData({
        domain: { name: 'Keyleash Demo Token', version: '1', chainId, verifyingContract: token },
        types: {
          Permit: [
            { name: 'owner', type: 'address' },
            { name: 'spender', type: 'address' },
            { name: 'value', type: 'uint256' },
            { name: 'nonce', type: 'uint256' },
            { name: 'deadline', type: 'uint256' },
          ],
        },
        primaryType: 'Permit',
        message: { owner: holder.address, spender, value: 80n, nonce: 0n, deadline },
      })
      const { r, s, yParity } = parseSignature(signature)
      const permit = encodeFunctionData({ abi: demoTokenAbi, functionName: 'permit', args: [holder.address, spender, 80n, deadline, yParity + 27, r, s] })
      await send(sessionKey, [tokenCall(permit)])
      expect(await publicClient.readContract({ address: token, abi: demoTokenAbi, functionName: 'allowance', args: [holder.address, spender] })).toBe(80n)
      expect(await publicClient.readContract({ address: account, abi: sessionAccountAbi, functionName: 'tokenSpend', args: [sessionKey.address, token] })).toEqual([true, 100n, 80n])
    })

    test('error: token spend accumulates across the calls of a batch', async () => {
      await register({ scopes: [{ target: token, selector: ANY_SELECTOR }], tokens: [{ token, allowance: 100n }] })
      await expectRevert(attempt(sessionKey, [transfer(60n), calls.approve(60n)]), 'SpendOverAllowance', [token, 60n, 40n])
    })

    test('error: token spend accumulates across batches', async () => {
      await register({ scopes: [{ target: token, selector: ANY_SELECTOR }], tokens: [{ token, allowance: 100n }] })
      await send(sessionKey, [transfer(90n)])
      await expectRevert(attempt(sessionKey, [transfer(11n)]), 'SpendOverAllowance', [token, 11n, 10n])
    })

    test('behavior: other functions of an allowance token are not counted', async () => {
      await register({ scopes: [{ target: token, selector: ANY_SELECTOR }], tokens: [{ token, allowance: 1n }] })
      await send(sessionKey, [tokenCall(encodeFunctionData({ abi: demoTokenAbi, functionName: 'mint', args: [account, 500n] }))])
      expect(await publicClient.readContract({ address: account, abi: sessionAccountAbi, functionName: 'tokenSpend', args: [sessionKey.address, token] })).toEqual([true, 1n, 0n])
    })

    test('behavior: a token with no registered allowance is not counted', async () => {
      await register({ scopes: [{ target: token, selector: sel.transfer }] })
      await send(sessionKey, [transfer(900n)])
      expect(await publicClient.readContract({ address: token, abi: demoTokenAbi, functionName: 'balanceOf', args: [recipient] })).toBe(900n)
    })

    test('error: calldata too short to hold the amount reverts MalformedCall(index)', async () => {
      await register({ scopes: [{ target: token, selector: ANY_SELECTOR }], tokens: [{ token, allowance: 100n }] })
      const full = transfer(1n).data
      await expectRevert(attempt(sessionKey, [transfer(1n), tokenCall(slice(full, 0, 67))]), 'MalformedCall', [1n])
      const transferFrom = calls.transferFrom(1n).data
      await expectRevert(attempt(sessionKey, [tokenCall(slice(transferFrom, 0, 99))]), 'MalformedCall', [0n])
    })

    test('error: token spend is checked before the call limit', async () => {
      await register({ scopes: [{ target: token, selector: ANY_SELECTOR }], callLimit: 1, tokens: [{ token, allowance: 100n }] })
      await expectRevert(attempt(sessionKey, [transfer(1n), transfer(100n)]), 'SpendOverAllowance', [token, 100n, 99n])
    })
  })

  test('behavior: callLimit allows exactly that many calls, counted per call', async () => {
    await register({ scopes: [nftScope()], callLimit: 3 })
    await send(sessionKey, [mintNft(), mintNft()])
    await send(sessionKey, [mintNft()])
    expect((await readSession()).callsUsed).toBe(3)
  })

  test('error: one call over callLimit reverts CallLimitReached(key, callLimit)', async () => {
    await register({ scopes: [nftScope()], callLimit: 2 })
    await send(sessionKey, [mintNft(), mintNft()])
    await expectRevert(attempt(sessionKey, [mintNft()]), 'CallLimitReached', [sessionKey.address, 2])
  })

  test('error: the call limit accumulates across the calls of a batch', async () => {
    await register({ scopes: [nftScope()], callLimit: 2 })
    await expectRevert(attempt(sessionKey, [mintNft(), mintNft(), mintNft()]), 'CallLimitReached', [sessionKey.address, 2])
  })

  test('behavior: callLimit 0 means no call limit', async () => {
    await register({ scopes: [nftScope()], callLimit: 0 })
    await send(sessionKey, Array.from({ length: 6 }, () => mintNft()))
    expect((await readSession()).callsUsed).toBe(6)
  })

  test('behavior: owner batches do not touch session usage', async () => {
    await register({ scopes: [nftScope()], callLimit: 1 })
    await send(owner, [mintNft(), mintNft()])
    expect((await readSession()).callsUsed).toBe(0)
  })
})

describe('SessionAccount: EIP-1271', () => {
  const hash = keccak256(toHex('keyleash'))

  test('default: an owner signature over the hash returns 0x1626ba7e', async () => {
    const signature = await owner.sign({ hash })
    expect(await publicClient.readContract({ address: account, abi: sessionAccountAbi, functionName: 'isValidSignature', args: [hash, signature] })).toBe('0x1626ba7e')
  })

  test('error: a session key, another hash or a garbage signature returns 0xffffffff', async () => {
    await register({ scopes: [nftScope()] })
    const bySession = await sessionKey.sign({ hash })
    const otherHash = await owner.sign({ hash: keccak256('0x01') })
    for (const signature of [bySession, otherHash, '0x1234' as Hex]) {
      expect(await publicClient.readContract({ address: account, abi: sessionAccountAbi, functionName: 'isValidSignature', args: [hash, signature] })).toBe('0xffffffff')
    }
  })
})

describe('demo contracts', () => {
  test('default: DemoNFT mints sequential ids from 1 to anyone and counts totalSupply', async () => {
    const { result } = await publicClient.simulateContract({ account: stranger, address: nft, abi: demoNftAbi, functionName: 'mint', args: [stranger.address] })
    expect(result).toBe(1n)
    await mined(strangerClient.writeContract({ address: nft, abi: demoNftAbi, functionName: 'mint', args: [stranger.address] }))
    await mined(strangerClient.writeContract({ address: nft, abi: demoNftAbi, functionName: 'mint', args: [recipient] }))
    expect(await publicClient.readContract({ address: nft, abi: demoNftAbi, functionName: 'ownerOf', args: [2n] })).toBe(recipient)
    expect(await publicClient.readContract({ address: nft, abi: demoNftAbi, functionName: 'totalSupply' })).toBe(2n)
  })

  test('default: DemoToken mints to anyone and increaseAllowance adds to the allowance', async () => {
    await mined(strangerClient.writeContract({ address: token, abi: demoTokenAbi, functionName: 'mint', args: [stranger.address, 10n] }))
    await mined(strangerClient.writeContract({ address: token, abi: demoTokenAbi, functionName: 'approve', args: [recipient, 3n] }))
    await mined(strangerClient.writeContract({ address: token, abi: demoTokenAbi, functionName: 'increaseAllowance', args: [recipient, 4n] }))
    expect(await publicClient.readContract({ address: token, abi: demoTokenAbi, functionName: 'allowance', args: [stranger.address, recipient] })).toBe(7n)
    expect(await publicClient.readContract({ address: token, abi: demoTokenAbi, functionName: 'balanceOf', args: [stranger.address] })).toBe(10n)
  })
})
