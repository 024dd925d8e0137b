/** The CLI's streams and environment, passed in so tests can drive `main` without a process. */

export interface OutStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface InStream extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  stdin: InStream;
  env: Record<string, string | undefined>;
}

/** Width vault wraps its prose at. */
const MAX_LINE = 78;

/** Greedy word wrap at `78 - pad` columns, each line indented by `pad` spaces (vault's wrapAtLength). */
export function wrapAtLength(text: string, pad = 0): string {
  const width = MAX_LINE - pad;
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    lines.push(line);
  }
  return lines.map((l) => ' '.repeat(pad) + l).join('\n');
}

/** Output as vault's UI does it: results on stdout, errors and warnings on stderr, one line each. */
export class Ui {
  /** When set (`-output-curl-string`), everything but `raw` output is swallowed. */
  silent = false;

  constructor(private readonly io: CliIo) {}

  output(text: string): void {
    if (!this.silent) this.io.stdout.write(`${text}\n`);
  }

  /** Printed without a trailing newline (`-field` output piped to another program). */
  raw(text: string): void {
    this.io.stdout.write(text);
  }

  error(text: string): void {
    if (!this.silent) this.io.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    if (!this.silent) this.io.stderr.write(`${text}\n`);
  }

  /** Vault ends raw values with a newline only when colour output is on: a terminal, no NO_COLOR, not dumb. */
  get colorEnabled(): boolean {
    const env = this.io.env;
    return !!this.io.stdout.isTTY && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  }
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads up to the first newline and leaves the rest of the stream unread. */
export function readLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (value: string) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', reject);
      stream.pause();
      resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      const at = text.indexOf('\n');
      if (at !== -1) done(text.slice(0, at).replace(/\r$/, ''));
    };
    const onEnd = () => done(text);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', reject);
    stream.resume();
  });
}

/**
 * Asks for a secret. On a terminal the typed characters are not echoed (raw mode); otherwise one line is
 * read from stdin, so `echo KEY | coffer operator unseal` works.
 */
export async function promptSecret(io: CliIo, prompt: string, to: OutStream = io.stdout): Promise<string> {
  to.write(prompt);
  const stdin = io.stdin;
  if (!stdin.isTTY || !stdin.setRawMode) {
    const line = await readLine(stdin);
    to.write('\n');
    return line;
  }
  stdin.setRawMode(true);
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      const onData = (chunk: Buffer | string) => {
        for (const ch of chunk.toString()) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            resolve(value);
            return;
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            reject(new Error('user interrupted'));
            return;
          }
          value = ch === '\u007f' || ch === '\b' ? value.slice(0, -1) : value + ch;
        }
      };
      stdin.on('data', onData);
      stdin.resume();
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    to.write('\n');
  }
}
