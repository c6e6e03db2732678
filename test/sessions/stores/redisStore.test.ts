import { Redis } from 'ioredis'
import { encodeFunctionData, parseAbi, type Hex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { afterAll, describe, expect, inject, test } from 'vitest'
import { withSessionKeys } from '../../../src/provider.js'
import { redisStore, type RedisStoreOptions } from '../../../src/sessions/stores/redisStore.js'
import { scriptedPreparer } from '../../utils/scriptedPreparer.js'
import { account, nft, now, scriptedWallet } from '../../utils/scriptedWallet.js'
import { sessionFixture } from '../../utils/sessionFixture.js'
import { describeStoreContract } from './contract.js'

const url = inject('redisUrl')
const clients: Redis[] = []
function connect(): Redis {
  const client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 })
  clients.push(client)
  return client
}
afterAll(async () => {
  await Promise.all(clients.map((client) => client.quit()))
})

const encryptionKey = crypto.getRandomValues(new Uint8Array(32))
let made = 0
const freshNamespace = () => `test-${process.pid}-${++made}`

async function valuesUnder(client: Redis, namespace: string): Promise<string> {
  const keys = await client.keys(`${namespace}:*`)
  const values = await Promise.all(keys.map((key) => client.type(key).then((type) => (type === 'set' ? client.smembers(key).then((m) => m.join(',')) : client.get(key)))))
  return keys.map((key, i) => `${key} ${values[i]}`).join('\n')
}

describe.skipIf(url === '')('redisStore', () => {
  describeStoreContract('redisStore', async () => {
    const client = connect()
    const namespace = freshNamespace()
    const errors: unknown[] = []
    const options: RedisStoreOptions = { encryptionKey, namespace, onError: (error) => errors.push(error) }
    return {
      store: redisStore(client, options),
      // Another connection, as another server would have.
      reopen: () => redisStore(connect(), options),
      atRest: () => valuesUnder(client, namespace),
      damage: async (id) => {
        const value = (await client.get(`${namespace}:s:${id}`))!
        await client.set(`${namespace}:s:${id}`, value.slice(0, value.length - 10))
      },
      raw: {
        get: async (kind, name) => (await client.get(`${namespace}:${kind === 'session' ? 's' : 'k'}:${name}`)) ?? undefined,
        set: async (kind, name, value) => {
          await client.set(`${namespace}:${kind === 'session' ? 's' : 'k'}:${name}`, value)
          // What a writer of raw entries would also do: make a planted session listable.
          if (kind === 'session') await client.sadd(`${namespace}:ids`, name)
        },
      },
      errors,
    }
  })

  test('behavior: a node-redis style client (sendCommand) works too, and a SCRIPT FLUSH is survived', async () => {
    const io = connect()
    const store = redisStore({ sendCommand: (args) => io.call(args[0]!, ...args.slice(1)) }, { plaintextKeys: true, namespace: freshNamespace() })
    await store.put(sessionFixture())
    await io.call('SCRIPT', 'FLUSH')
    expect((await store.update('0xc0ffee', (s) => ({ ...s, status: 'revoked' })))?.status).toBe('revoked')
  })

  test('error: a client that is not one is refused', () => {
    expect(() => redisStore({} as never, { plaintextKeys: true })).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: client: must be a connected Redis client: ioredis (\`call\`) or redis ≥ 4 (\`sendCommand\`)]`)
  })
})

const abi = parseAbi(['function mint(address to)'])
const mint: Hex = encodeFunctionData({ abi, functionName: 'mint', args: [account] })

describe.skipIf(url === '')('two withSessionKeys instances sharing one Redis', () => {
  async function setup(limit: number) {
    const namespace = freshNamespace()
    // One wallet backend (what both servers' embedded wallets submit to), two app servers.
    const preparer = scriptedPreparer()
    const [a, b] = [0, 1].map(() =>
      withSessionKeys(scriptedWallet('erc7715', preparer.script), { now: () => now, store: redisStore(connect(), { encryptionKey, namespace }), signing: { messages: true } }),
    ) as [ReturnType<typeof withSessionKeys>, ReturnType<typeof withSessionKeys>]
    const key = await a.sessions.importKey(generatePrivateKey())
    const { permissionsContext: context } = (await a.request({
      method: 'wallet_grantPermissions',
      params: [
        {
          expiry: 3600,
          signer: { type: 'account', data: { id: key } },
          permissions: [{ type: 'contract-call', data: { address: nft, calls: ['mint(address)'] }, policies: [{ type: 'call-limit', data: { count: limit } }] }],
        },
      ],
    })) as { permissionsContext: string }
    const send = (provider: typeof a) =>
      provider.request({
        method: 'wallet_sendCalls',
        params: [{ version: '2.0.0', chainId: '0x7a69', atomicRequired: true, calls: [{ to: nft, data: mint }], capabilities: { permissions: { context } } }],
      })
    return { a, b, key, context, send, sent: preparer.sent }
  }

  test('behavior: a session granted on one is usable on the other at once', async () => {
    const { b, key, context, send, sent } = await setup(5)
    expect(await send(b)).toHaveProperty('id')
    expect(sent.map((s) => s.signer)).toStrictEqual([key])
    expect((await b.sessions.get(context))?.usage.calls).toBe(1)
  })

  test('behavior: a revoke on one is honoured by the other before its next signature', async () => {
    const { a, b, key, context, send } = await setup(5)
    expect(await send(b)).toHaveProperty('id')
    // b has built its own index of sessions by key; the revoke happens elsewhere.
    expect(await b.request({ method: 'personal_sign', params: ['0x68656c6c6f', key] })).toMatch(/^0x/)
    await a.sessions.revoke(context)
    await expect(send(b)).rejects.toMatchObject({ code: 4100 })
    await expect(b.request({ method: 'personal_sign', params: ['0x68656c6c6f', key] })).rejects.toMatchObject({ code: 4100 })
  })

  test('behavior: a call limit of 25 across both signs exactly 25 under 200 concurrent attempts', async () => {
    const { a, b, context, send, sent } = await setup(25)
    const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => send(i % 2 === 0 ? a : b)))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(25)
    expect(sent).toHaveLength(25)
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(refused.every((r) => r.reason.code === 4100 && r.reason.data.reasons[0].reason === 'call-limit-reached')).toBe(true)
    expect((await a.sessions.get(context))?.usage.calls).toBe(25)
  })
})
