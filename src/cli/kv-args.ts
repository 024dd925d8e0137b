/**
 * `K=V` arguments as vault's kv-builder reads them: `k=@file` (file contents), `k=-` (all of stdin),
 * `k=\@x` (a literal `@`), `-` (a JSON object from stdin), `@file.json` (a JSON object from a file);
 * a repeated key becomes a list.
 */
import { readFile } from 'node:fs/promises';
import { isRecord } from '../client/secret.js';

export interface KvInput {
  /** Reads all of stdin; called at most once. */
  readStdin(): Promise<string>;
}

function parseJsonObject(text: string): Record<string, unknown> {
  const value = JSON.parse(text);
  if (!isRecord(value)) throw new Error('JSON input must be an object');
  return value;
}

async function readFileText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`error reading file: ${(error as Error).message}`);
  }
}

export async function parseArgsData(args: string[], input: KvInput): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  let stdinUsed = false;
  const stdin = async () => {
    if (stdinUsed) throw new Error('stdin already consumed');
    stdinUsed = true;
    return input.readStdin();
  };
  for (const arg of args) {
    try {
      if (arg === '') continue;
      const eq = arg.indexOf('=');
      if (eq === -1) {
        if (arg === '-') Object.assign(result, parseJsonObject(await stdin()));
        else if (arg.startsWith('@'))
          Object.assign(result, parseJsonObject(await readFileText(arg.slice(1))));
        else throw new Error('format must be key=value');
        continue;
      }
      const key = arg.slice(0, eq);
      let value = arg.slice(eq + 1);
      if (value.startsWith('@')) value = await readFileText(value.slice(1));
      else if (value.startsWith('\\@')) value = value.slice(1);
      else if (value === '-') value = await stdin();
      if (key in result) {
        const existing = result[key];
        result[key] = [...(Array.isArray(existing) ? existing : [existing]), value];
      } else {
        result[key] = value;
      }
    } catch (error) {
      throw new Error(`Invalid key/value pair '${arg}': ${(error as Error).message}`);
    }
  }
  return result;
}

/** Data as string lists, for query parameters (`read` and `delete` send their K=V this way). */
export function toStringLists(data: Record<string, unknown>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(data)) {
    const list = Array.isArray(value) ? value : [value];
    out[key] = list.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  }
  return out;
}

/** Data as plain strings (login's auth-method configuration). */
export function toStrings(data: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(data))
    out[key] = typeof value === 'string' ? value : JSON.stringify(value);
  return out;
}
