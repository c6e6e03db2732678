import type { Cluster, Redis } from 'ioredis'
import { encodeFunctionData, parseAbi, type Hex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { withSessionKeys } from '../../../src/provider.js'
import { redisLayout } from '../../../src/sessions/stores/redis/layout.js'
import { redisStore, type RedisStoreOptions } from '../../../src/sessions/stores/redisStore.js'
import { scriptedPreparer } from '../../utils/scriptedPreparer.js'
import { account, nft, now, scriptedWallet } from '../../utils/scriptedWallet.js'
import { describeStoreContract } from './contract.js'
import { sessionSigning } from '../../../src/permissions/sessionSigning.js'

/*
 * The Redis store's suites that run the same on one server and on a cluster: the store
 * contract, and two app instances sharing the store. `connect` opens a client (a new one: as
 * another server would have), `namespaceOf` names a fresh namespace for each store.
 */

export const encryptionKey = crypto.getRandomValues(new Uint8Array(32))

/** Every key under `namespace` on every node that holds data (a lone server, or a cluster's masters), with its value. */
export async function valuesUnder(client: Redis | Cluster, namespace: string): Promise<string> {
  const nodes = 'nodes' in client && typeof client.nodes === 'function' ? (client as Cluster).nodes('master') : [client as Redis]
  const keys = (await Promise.all(nodes.map((node) => node.keys(`${namespace}:*`)))).flat()
  const read = (key: string, type: string): Promise<string | null> =>
    type === 'set' ? client.smembers(key).then((m) => m.join(',')) : type === 'hash' ? client.hgetall(key).then((h) => JSON.stringify(h)) : type === 'zset' ? client.zrange(key, '0', '-1').then((m) => m.join(',')) : type === 'list' ? client.lrange(key, '0', '-1').then((m) => m.join(',')) : client.get(key)
  const values = await Promise.all(keys.map((key) => client.type(key).then((type) => read(key, type))))
  return keys.map((key, i) => `${key} ${values[i]}`).join('\n')
}

export function describeRedisContract(label: string, connect: () => Redis | Cluster, namespaceOf: () => string): void {
  describeStoreContract(label, async () => {
    const client = connect()
    const namespace = namespaceOf()
    const layout = redisLayout(namespace)
    const errors: unknown[] = []
    const options: RedisStoreOptions = { encryptionKey, namespace, onError: (error) => errors.push(error) }
    return {
      store: redisStore(client, options),
      // Another connection, as another server would have.
      reopen: () => redisStore(connect(), options),
      atRest: () => valuesUnder(client, namespace),
      damage: async (id) => {
        const value = (await client.get(layout.session(id)))!
        await client.set(layout.session(id), value.slice(0, value.length - 10))
      },
      raw: {
        get: async (kind, name) => (await client.get(kind === 'session' ? layout.session(name) : layout.key(name))) ?? undefined,
        set: async (kind, name, value) => {
          await client.set(kind === 'session' ? layout.session(name) : layout.key(name), value)
          // What a writer of raw entries would also do: make a planted entry listable.
          await client.sadd(kind === 'session' ? layout.sessionIndex(name) : layout.keyIndex(name), name)
        },
      },
      errors,
    }
  })
}

const abi = parseAbi(['function mint(address to)'])
const mint: Hex = encodeFunctionData({ abi, functionName: 'mint', args: [account] })

/** Two app servers (two `withSessionKeys`, each with its own client) sharing one store, a session granted with a call limit. */
export async function twoInstances(connect: () => Redis | Cluster, limit: number, options: RedisStoreOptions) {
  // One wallet backend (what both servers' embedded wallets submit to), two app servers.
  const preparer = scriptedPreparer()
  const [a, b] = [0, 1].map(() =>
    withSessionKeys(scriptedWallet('erc7715', preparer.script), { now: () => now, store: redisStore(connect(), { encryptionKey, ...options }), signing: sessionSigning({ messages: true }) }),
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

export function describeTwoInstances(label: string, connect: () => Redis | Cluster, namespaceOf: () => string): void {
  describe(label, () => {
    test('behavior: a session granted on one is usable on the other at once', async () => {
      const { b, key, context, send, sent } = await twoInstances(connect, 5, { namespace: namespaceOf() })
      expect(await send(b)).toHaveProperty('id')
      expect(sent.map((s) => s.signer)).toStrictEqual([key])
      expect((await b.sessions.get(context))?.usage.calls).toBe(1)
    })

    test('behavior: a revoke on one is honoured by the other before its next signature', async () => {
      const { a, b, key, context, send } = await twoInstances(connect, 5, { namespace: namespaceOf() })
      expect(await send(b)).toHaveProperty('id')
      // b has built its own index of sessions by key; the revoke happens elsewhere.
      expect(await b.request({ method: 'personal_sign', params: ['0x68656c6c6f', key] })).toMatch(/^0x/)
      await a.sessions.revoke(context)
      await expect(send(b)).rejects.toMatchObject({ code: 4100 })
      await expect(b.request({ method: 'personal_sign', params: ['0x68656c6c6f', key] })).rejects.toMatchObject({ code: 4100 })
    })

    test('behavior: a call limit of 25 across both signs exactly 25 under 200 concurrent attempts', async () => {
      const { a, b, context, send, sent } = await twoInstances(connect, 25, { namespace: namespaceOf() })
      const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => send(i % 2 === 0 ? a : b)))
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(25)
      expect(sent).toHaveLength(25)
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      expect(refused.every((r) => r.reason.code === 4100 && r.reason.data.reasons[0].reason === 'call-limit-reached')).toBe(true)
      expect((await a.sessions.get(context))?.usage.calls).toBe(25)
    })
  })
}
