/** The `file` audit device: appends JSON lines to a file (or stdout), reopened on SIGHUP for rotation. */
import { constants, writeSync } from 'node:fs';
import { type FileHandle, mkdir, open, realpath, stat } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { invalid } from '../../core/errors.js';
import type { Logger } from '../../framework/log.js';
import { WriteDeadlines } from '../deadlines.js';
import { type DeviceOptions, parsePrefix } from '../options.js';
import { type AuditDevice, Serial } from './device.js';
import { isOnLocalFilesystem } from './local-filesystem.js';

export interface FileDeviceSettings {
  /** Directories an audit file may not be written into (data, plugins): file_path is attacker-chosen text. */
  denyDirs?: readonly string[];
  /** Ceiling on a write, from when its line was queued: a stuck disk must not hang requests. */
  timeoutMs?: number;
  /** A direct write that held the event loop this long sends the next minute's writes to the thread pool. */
  slowWriteMs?: number;
  /** How long writes go through the thread pool after a slow direct write (a minute). */
  poolAfterSlowMs?: number;
  /** Told when the device turns to the thread pool. */
  log?: Logger;
}

type Target = { kind: 'stdout' } | { kind: 'discard' } | { kind: 'file'; path: string };

/**
 * The lines queued while the previous write was in flight, written together by one write(2). Every
 * writer of a batch waits on the same promise: one promise and one deadline per batch, not per line.
 */
interface Batch {
  lines: string[];
  done: Promise<void>;
  settle: (error?: Error) => void;
}

const WRITTEN = Promise.resolve();

/**
 * A page-cache write of a batch takes microseconds; one that held the event loop for 50 ms (dirty-page
 * throttling, a failing disk) stalled every request, so the device writes through the thread pool for
 * a while. Not for good: a VM that pauses during one write would otherwise lose direct writes forever.
 * A disk that stays slow costs one such write a minute.
 */
const SLOW_DIRECT_WRITE_MS = 50;
const POOL_AFTER_SLOW_WRITE_MS = 60_000;

// O_NONBLOCK: opening a FIFO must fail fast (ENXIO) rather than park a libuv thread until a reader appears.
const OPEN_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK;

/** `mode` as Vault reads it: octal text; 0 leaves the mode alone; execute and special bits are dropped. */
function parseMode(options: DeviceOptions): number {
  const text = options.mode;
  if (text === undefined) return 0o600;
  if (!/^[0-7]+$/.test(text))
    throw invalid(`strconv.ParseUint: parsing ${JSON.stringify(text)}: invalid syntax`);
  const mode = Number.parseInt(text, 8);
  if (mode > 0o7777) throw invalid('file mode does not represent a regular file');
  // An executable audit file was half of CVE-2025-6000 (write a "plugin", then run it).
  return mode & 0o666;
}

function parseTarget(options: DeviceOptions): Target {
  const path = options.file_path ?? options.path;
  if (path === undefined || path === '') throw invalid('file_path is required');
  if (path.toLowerCase() === 'stdout') return { kind: 'stdout' };
  if (path.toLowerCase() === 'discard') return { kind: 'discard' };
  return { kind: 'file', path };
}

async function checkDenied(path: string, denyDirs: readonly string[]): Promise<void> {
  if (denyDirs.length === 0) return;
  // Resolve the parent through symlinks when it exists, so a link cannot smuggle the file inside.
  const parent = await realpath(dirname(resolve(path))).catch(() => dirname(resolve(path)));
  const target = `${parent}${sep}`;
  for (const dir of denyDirs) {
    const denied = await realpath(resolve(dir)).catch(() => resolve(dir));
    if (target.startsWith(`${denied}${sep}`) || parent === denied)
      throw invalid('file_path must not be inside a protected directory');
  }
}

export class FileDevice implements AuditDevice {
  readonly type = 'file';
  private fd: FileHandle | undefined;
  private closed = false;
  /**
   * The open file is on a local disk, so a batch is written by write(2) on the event loop. Handing it
   * to libuv's thread pool instead cost an audited read 6-19% more server CPU side by side: the
   * pool thread's wake-up, the completion's wake-up of the loop, and on a server given one core the
   * pool thread preempting the loop. On any other filesystem a write can hang, and the pool keeps it
   * off the loop while the deadline fails the requests waiting on it.
   */
  private direct = false;
  /** After a slow direct write (performance.now()), writes go through the thread pool until then. */
  private pooledUntil = 0;
  /** The batch still taking lines: its write has not started yet. */
  private filling: Batch | undefined;
  private readonly serial = new Serial();

  private constructor(
    private readonly target: Target,
    private readonly mode: number,
    private readonly prefix: string,
    private readonly deadlines: WriteDeadlines,
    private readonly slow: { writeMs: number; poolForMs: number },
    private readonly log: Logger | undefined,
  ) {}

  /** Validates the options and opens the file once, so a bad path is refused when the device is enabled. */
  static async create(options: DeviceOptions, settings: FileDeviceSettings = {}): Promise<FileDevice> {
    const target = parseTarget(options);
    const mode = parseMode(options);
    if (target.kind === 'file') {
      await checkDenied(target.path, settings.denyDirs ?? []);
      // Vault stats the file for mode 0000 ("leave the mode alone") and refuses a missing one.
      if (mode === 0 && !(await stat(target.path).catch(() => undefined)))
        throw invalid(`stat ${target.path}: no such file or directory`);
    }
    const deadlines = new WriteDeadlines(settings.timeoutMs ?? 10_000);
    const device = new FileDevice(
      target,
      mode,
      parsePrefix(options),
      deadlines,
      {
        writeMs: settings.slowWriteMs ?? SLOW_DIRECT_WRITE_MS,
        poolForMs: settings.poolAfterSlowMs ?? POOL_AFTER_SLOW_WRITE_MS,
      },
      settings.log,
    );
    if (target.kind === 'file') {
      try {
        device.fd = await device.openFile(target.path);
      } catch (err) {
        throw invalid(
          `sanity check failed; unable to open ${JSON.stringify(target.path)} for writing: ${message(err)}`,
        );
      }
    }
    return device;
  }

  write(line: string): Promise<void> {
    if (this.target.kind === 'discard') return WRITTEN;
    if (this.closed) return Promise.reject(new Error('audit device is closed'));
    const batch = this.filling ?? this.openBatch();
    batch.lines.push(`${this.prefix}${line}\n`);
    return batch.done;
  }

  /**
   * A new batch takes lines until its write starts, after the writes queued before it and not before
   * the end of this event-loop turn: every request handled in the turn joins it, where starting at
   * once wrote the first line alone (side by side, an audited read 40.1-40.5 -> 38.3-38.8 us of CPU).
   */
  private openBatch(): Batch {
    let settle!: (error?: Error) => void;
    const written = new Promise<void>((resolve, reject) => {
      settle = (error) => (error ? reject(error) : resolve());
    });
    const batch: Batch = { lines: [], done: this.deadlines.bound(written), settle };
    this.filling = batch;
    setImmediate(() => void this.serial.run(() => this.drain(batch)));
    return batch;
  }

  reopen(): Promise<void> {
    return this.serial.run(async () => {
      if (this.target.kind !== 'file' || this.closed) return;
      await this.closeFd();
      this.fd = await this.openFile(this.target.path);
    });
  }

  close(): Promise<void> {
    return this.serial.run(async () => {
      this.closed = true;
      await this.closeFd();
    });
  }

  /**
   * Group commit: every line queued while the previous write was in flight goes out in one write(2).
   * Each line is whole inside the batch and O_APPEND places the batch at the end of the file.
   */
  private async drain(batch: Batch): Promise<void> {
    if (this.filling === batch) this.filling = undefined;
    try {
      if (this.closed) throw new Error('audit device is closed');
      const lines = batch.lines;
      await this.writeOut(Buffer.from(lines.length === 1 ? lines[0] : lines.join('')));
      batch.settle();
    } catch (err) {
      batch.settle(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private async writeOut(buf: Buffer): Promise<void> {
    if (this.target.kind === 'stdout') {
      await new Promise<void>((resolve, reject) =>
        process.stdout.write(buf, (e) => (e ? reject(e) : resolve())),
      );
      return;
    }
    if (this.target.kind !== 'file') return;
    const progress = { offset: 0 };
    try {
      await this.writeFrom(this.target.path, buf, progress);
    } catch {
      // As Vault does: the file may have been removed or its disk remounted; reopen once and retry.
      await this.closeFd();
      await this.writeFrom(this.target.path, buf, progress);
    }
  }

  private async writeFrom(path: string, buf: Buffer, progress: { offset: number }): Promise<void> {
    this.fd ??= await this.openFile(path);
    if (this.direct && performance.now() >= this.pooledUntil)
      return this.writeDirect(path, this.fd, buf, progress);
    while (progress.offset < buf.length) {
      const { bytesWritten } = await this.fd.write(buf, progress.offset, buf.length - progress.offset);
      progress.offset += bytesWritten;
    }
  }

  private writeDirect(path: string, fd: FileHandle, buf: Buffer, progress: { offset: number }): void {
    const started = performance.now();
    while (progress.offset < buf.length)
      progress.offset += writeSync(fd.fd, buf, progress.offset, buf.length - progress.offset);
    const took = performance.now() - started;
    if (took < this.slow.writeMs) return;
    this.pooledUntil = performance.now() + this.slow.poolForMs;
    this.log?.warn('audit file write held the server; writing through the thread pool for a minute', {
      path,
      ms: Math.round(took),
    });
  }

  private async openFile(path: string): Promise<FileHandle> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const fd = await open(path, OPEN_FLAGS, this.mode === 0 ? 0o600 : this.mode);
    try {
      const info = await fd.stat();
      // A FIFO, socket or device would block writers or leak entries elsewhere; /dev/null is Vault's one exception.
      if (!info.isFile() && path !== '/dev/null') throw new Error('not a regular file');
      if (this.mode !== 0 && info.isFile() && (info.mode & 0o7777) !== this.mode) await fd.chmod(this.mode);
      this.direct = await isOnLocalFilesystem(path);
      return fd;
    } catch (err) {
      await fd.close().catch(() => undefined);
      throw err;
    }
  }

  private async closeFd(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    await fd?.close().catch(() => undefined);
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
