/** A byte-bounded LRU of decrypted entries, so hot reads skip AES-GCM; values are copied in and out. */

export class ByteLru {
  private readonly entries = new Map<string, Uint8Array>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): Uint8Array | undefined {
    const value = this.entries.get(key);
    if (!value) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return new Uint8Array(value);
  }

  set(key: string, value: Uint8Array): void {
    if (value.byteLength > this.maxBytes / 8) return; // a huge entry would evict everything useful
    this.delete(key);
    this.entries.set(key, new Uint8Array(value));
    this.bytes += value.byteLength;
    while (this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
    }
  }

  delete(key: string): void {
    const value = this.entries.get(key);
    if (!value) return;
    this.bytes -= value.byteLength;
    this.entries.delete(key);
  }

  clear(): void {
    for (const value of this.entries.values()) value.fill(0);
    this.entries.clear();
    this.bytes = 0;
  }
}
