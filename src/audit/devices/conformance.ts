/** One conformance suite for every audit device: whole lines, in order, never interleaved, prefix, close. */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { AuditDevice } from './device.js';

export interface DeviceHarness {
  device: AuditDevice;
  /** What the destination has received, split into lines (without the newline); waits for at least `count`. */
  lines(count: number): Promise<string[]>;
  cleanup(): Promise<void>;
}

/** `open` builds a fresh device on a fresh destination; `options` are extra device options (e.g. prefix). */
export type OpenDevice = (options?: Record<string, string>) => Promise<DeviceHarness>;

const entry = (i: number, size = 0) =>
  JSON.stringify({ type: 'request', request: { id: `r${i}`, pad: 'x'.repeat(size) } });

export function deviceConformance(name: string, open: OpenDevice): void {
  describe(`${name} device conformance`, () => {
    const opened: DeviceHarness[] = [];
    const fresh = async (options?: Record<string, string>) => {
      const harness = await open(options);
      opened.push(harness);
      return harness;
    };
    after(async () => {
      for (const h of opened) await h.cleanup();
    });

    test('each write is one line, in call order', async () => {
      const h = await fresh();
      for (let i = 0; i < 3; i++) await h.device.write(entry(i));
      assert.deepEqual(await h.lines(3), [entry(0), entry(1), entry(2)]);
    });

    test('concurrent writes of mixed sizes never interleave partial lines', async () => {
      const h = await fresh();
      const sizes = Array.from({ length: 120 }, (_, i) => (i % 10 === 0 ? 40_000 : i * 7));
      await Promise.all(sizes.map((size, i) => h.device.write(entry(i, size))));
      const lines = await h.lines(sizes.length);
      assert.equal(lines.length, sizes.length);
      const ids = lines.map((line) => (JSON.parse(line) as { request: { id: string } }).request.id);
      assert.deepEqual(new Set(ids), new Set(sizes.map((_, i) => `r${i}`)));
    });

    test('prefix is written before each line', async () => {
      const h = await fresh({ prefix: '@cee: ' });
      await h.device.write(entry(1));
      await h.device.write(entry(2));
      assert.deepEqual(await h.lines(2), [`@cee: ${entry(1)}`, `@cee: ${entry(2)}`]);
    });

    test('reopen keeps the device writable', async () => {
      const h = await fresh();
      await h.device.write(entry(1));
      await h.device.reopen();
      await h.device.write(entry(2));
      assert.deepEqual(await h.lines(2), [entry(1), entry(2)]);
    });

    test('a closed device refuses writes', async () => {
      const h = await fresh();
      await h.device.close();
      await assert.rejects(h.device.write(entry(1)), /closed/);
    });
  });
}
