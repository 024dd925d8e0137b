/** The contract every audit device keeps, and the serialisation helper the devices share. */

export interface AuditDevice {
  /** `file` or `socket`, as listed by `sys/audit`. */
  readonly type: string;
  /**
   * Records one entry: `line` is a JSON document without its newline; the device adds its prefix and
   * the newline. Resolves only once the whole line has left the process (written to the fd or the
   * socket); rejects on failure or timeout. Concurrent calls never interleave partial lines.
   */
  write(line: string): Promise<void>;
  /** Closes and reopens the destination (SIGHUP: a rotated log file is recreated at its path). */
  reopen(): Promise<void>;
  /** Releases the destination; later writes fail. */
  close(): Promise<void>;
}

/** Runs async sections one at a time, in call order, so a device's file or socket has one user. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
