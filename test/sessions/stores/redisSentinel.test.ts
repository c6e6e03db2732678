import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, inject, test } from 'vitest'
import { freePort } from '../../../src/devwallet/chain.js'
import { redisStore } from '../../../src/sessions/stores/redisStore.js'
import type { Session } from '../../../src/sessions/types.js'
import { redisLab } from '../../setup/redisLab.js'
import { rejectionOf } from '../../utils/rejection.js'
import { sessionFixture } from '../../utils/sessionFixture.js'

/*
 * A primary, its replica and a Sentinel watching them, real servers on 127.0.0.1, used
 * through an ioredis client that asks the Sentinel for the primary.
 */

const available = inject('redisUrl') !== ''
const lab = redisLab('sentinel')
const server = async (name: string, extra: string[] = []) => (await lab.server({ name, extra })).port
const direct = (port: number) => lab.client(port)

/** A Sentinel on a free port watching `primary` as `m`, quick to decide (1 s down, quorum 1). */
async function sentinel(primary: number): Promise<number> {
  const port = await freePort()
  const config = join(lab.root, 'sentinel.conf')
  writeFileSync(
    config,
    [`port ${port}`, 'bind 127.0.0.1', `dir ${lab.root}`, `sentinel monitor m 127.0.0.1 ${primary} 1`, 'sentinel down-after-milliseconds m 1000', 'sentinel failover-timeout m 5000', ''].join('\n'),
  )
  lab.track(spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' }))
  await until(async () => (await direct(port).call('PING').catch(() => '')) === 'PONG')
  return port
}

// A check that throws is "not yet": during a failover the Sentinel kills the clients of the
// servers it reconfigures, and a test connection may be among them.
async function until(check: () => Promise<boolean>, within = 15_000): Promise<void> {
  for (let waited = 0; waited < within; waited += 100) {
    if (await check().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`not so within ${within} ms`)
}

const addCall = (session: Session): Session => ({ ...session, usage: { ...session.usage, calls: session.usage.calls + 1 } })

describe.runIf(available)('redisStore through Sentinel', () => {
  test('behavior: it works through Sentinel, waits for the replica by default, and checks a promoted primary before it trusts it', async () => {
    const primary = await server('primary')
    const replica = await server('replica', ['--replicaof', '127.0.0.1', String(primary)])
    const watcher = await sentinel(primary)
    const asked = direct(watcher)
    await until(async () => String(await direct(replica).call('INFO', 'replication')).includes('master_link_status:up'))
    await until(async () => ((await asked.call('SENTINEL', 'REPLICAS', 'm')) as unknown[]).length > 0)
    const client = lab.client(undefined, { sentinels: [{ host: '127.0.0.1', port: watcher }], name: 'm', maxRetriesPerRequest: 1 })
    const store = redisStore(client, { plaintextKeys: true })
    await store.put(sessionFixture())
    await store.update('0xc0ffee', addCall)
    // Waited for: the replica has the count as soon as the update is acknowledged.
    expect((await redisStore(direct(replica), { plaintextKeys: true, replicas: 0 }).get('0xc0ffee'))?.usage.calls).toBe(1)

    // The replica runs without the append-only file; then the Sentinel promotes it.
    await until(async () => (await direct(replica).call('CONFIG', 'SET', 'appendonly', 'no')) === 'OK')
    await asked.call('SENTINEL', 'FAILOVER', 'm')
    await until(async () => ((await asked.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'm')) as string[])[1] === String(replica))
    let refused: { code: number; message: string } | undefined
    await until(async () => {
      refused = await rejectionOf(store.update('0xc0ffee', addCall))
      return /append-only file off|appendonly no/.test(refused.message)
    })
    expect(refused!.code).toBe(-32603)

    // Once it writes to disk, it is trusted, and the old primary (its replica now) is waited for.
    await until(async () => (await direct(replica).call('CONFIG', 'SET', 'appendonly', 'yes')) === 'OK')
    await until(async () => String(await direct(primary).call('INFO', 'replication')).includes('master_link_status:up'))
    await until(async () => (await store.update('0xc0ffee', addCall).then(() => true).catch(() => false)))
    // Acknowledged: the old primary, its replica now, has it too.
    const calls = (await store.get('0xc0ffee'))?.usage.calls
    expect(calls).toBeGreaterThanOrEqual(2)
    expect((await redisStore(direct(primary), { plaintextKeys: true, replicas: 0 }).get('0xc0ffee'))?.usage.calls).toBe(calls)
  }, 60_000)
})
