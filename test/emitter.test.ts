import { describe, expect, test, vi } from 'vitest'
import { SafeEmitter, listenerMethods } from '../src/emitter.js'

describe('SafeEmitter', () => {
  test('listeners run in the order they were added, with the arguments emitted', () => {
    const events = new SafeEmitter()
    const seen: unknown[][] = []
    events.on('chainChanged', (...args: unknown[]) => seen.push(['first', ...args]))
    events.on('chainChanged', (...args: unknown[]) => seen.push(['second', ...args]))
    events.on('accountsChanged', () => seen.push(['other event']))
    events.emit('chainChanged', '0x1', { extra: true })
    expect(seen).toEqual([
      ['first', '0x1', { extra: true }],
      ['second', '0x1', { extra: true }],
    ])
  })

  test('a once listener runs on the next event only', () => {
    const events = new SafeEmitter()
    const listener = vi.fn()
    events.once('connect', listener)
    events.emit('connect', 1)
    events.emit('connect', 2)
    expect(listener.mock.calls).toEqual([[1]])
    expect(events.listenerCount('connect')).toBe(0)
  })

  test('off removes every registration of that listener for that event, once ones included, and no other', () => {
    const events = new SafeEmitter()
    const removed = vi.fn()
    const kept = vi.fn()
    events.on('message', removed)
    events.once('message', removed)
    events.on('message', kept)
    events.on('connect', removed)
    events.off('message', removed)
    events.emit('message', 'm')
    events.emit('connect', 'c')
    expect(removed.mock.calls).toEqual([['c']])
    expect(kept.mock.calls).toEqual([['m']])
    expect(events.listenerCount('message')).toBe(1)
  })

  test('an emit runs over the listeners there were when it started', () => {
    const events = new SafeEmitter()
    const seen: string[] = []
    const late = () => seen.push('late')
    const second = () => seen.push('second')
    events.on('disconnect', () => {
      seen.push('first')
      events.on('disconnect', late)
      events.off('disconnect', second)
    })
    events.on('disconnect', second)
    events.emit('disconnect')
    expect(seen).toEqual(['first', 'second'])
    events.emit('disconnect')
    expect(seen).toEqual(['first', 'second', 'first', 'late'])
  })

  test('a listener that throws stops neither the others nor the emitter; its error is reported', () => {
    const reported: unknown[] = []
    const events = new SafeEmitter((error) => reported.push(error))
    const after = vi.fn()
    const failure = new Error('listener bug')
    events.on('accountsChanged', () => {
      throw failure
    })
    events.on('accountsChanged', after)
    expect(() => events.emit('accountsChanged', [])).not.toThrow()
    expect(after).toHaveBeenCalledWith([])
    expect(reported).toEqual([failure])
  })

  test('by default a listener\'s error is rethrown on a fresh stack, where the platform reports uncaught errors', async () => {
    const scheduled: (() => void)[] = []
    vi.stubGlobal('queueMicrotask', (task: () => void) => scheduled.push(task))
    try {
      const events = new SafeEmitter()
      events.on('connect', () => {
        throw new Error('listener bug')
      })
      events.emit('connect')
    } finally {
      vi.unstubAllGlobals()
    }
    expect(scheduled).toHaveLength(1)
    expect(() => scheduled[0]?.()).toThrow('listener bug')
  })
})

describe('SafeEmitter: eventemitter3\'s whole surface, by the app\'s own functions', () => {
  test('behavior: listeners, listenerCount and eventNames see the functions added; off, removeListener and removeAllListeners remove them; each call returns the emitter', () => {
    const events = new SafeEmitter()
    const first = vi.fn()
    const second = vi.fn()
    expect(events.on('chainChanged', first).addListener('chainChanged', second).once('connect', first)).toBe(events)
    expect(events.listeners('chainChanged')).toStrictEqual([first, second])
    expect(events.listenerCount('chainChanged')).toBe(2)
    expect(events.eventNames()).toStrictEqual(['chainChanged', 'connect'])
    expect(events.off('chainChanged', first).listeners('chainChanged')).toStrictEqual([second])
    expect(events.removeListener('chainChanged', second).listenerCount('chainChanged')).toBe(0)
    expect(events.removeAllListeners().eventNames()).toStrictEqual([])
    events.emit('connect', {})
    expect(first).not.toHaveBeenCalled()
  })

  test('behavior: a once listener that throws is removed all the same, and reported', () => {
    const reported: unknown[] = []
    const events = new SafeEmitter((error) => reported.push(error))
    events.once('disconnect', () => {
      throw new Error('listener bug')
    })
    events.emit('disconnect')
    events.emit('disconnect')
    expect(reported).toHaveLength(1)
    expect(events.listenerCount('disconnect')).toBe(0)
  })
})

describe('listenerMethods', () => {
  test('on, once and removeListener act on the emitter and each returns the provider, so calls chain', () => {
    const emitter = new SafeEmitter()
    type Provider = {
      request(): void
      on(event: string, listener: () => void): Provider
      once(event: string, listener: () => void): Provider
      removeListener(event: string, listener: () => void): Provider
    }
    const provider: Provider = { request() {}, ...listenerMethods(emitter, () => provider) }
    const always = vi.fn()
    const next = vi.fn()
    const removed = vi.fn()
    expect(provider.on('chainChanged', always).once('chainChanged', next).on('chainChanged', removed).removeListener('chainChanged', removed)).toBe(provider)
    emitter.emit('chainChanged', '0x1')
    emitter.emit('chainChanged', '0x2')
    expect(always.mock.calls).toEqual([['0x1'], ['0x2']])
    expect(next.mock.calls).toEqual([['0x1']])
    expect(removed).not.toHaveBeenCalled()
  })
})
