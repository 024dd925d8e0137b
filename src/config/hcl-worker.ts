/**
 * The worker thread that runs HashiCorp's HCL parser (WebAssembly). It lives only while there is
 * parsing to do: see hcl.ts for why.
 *
 * The parser is @cdktf/hcl2json's WebAssembly module, started here without the package's JS wrapper:
 * the wrapper imports fs-extra for one file read, and loading fs-extra took 54-57 ms of the server's
 * cold start on one core (the config is parsed before anything is served). What the wrapper does is
 * kept as it is: Go's `wasm_exec` glue from the package, the package's gzipped module, and the object
 * the Go program fills with its functions, `globalThis.__parse_terraform_config_wasm__` (the contract
 * between the package's wrapper and its module; package-lock pins the version, and every HCL test
 * goes through here).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';

export interface HclRequest {
  id: number;
  fileName: string;
  text: string;
}

export type HclReply =
  | { id: number; ok: true; value: Record<string, unknown> }
  | { id: number; ok: false; message: string };

/** The Go program's parse: the file's JSON, or an error message, through a Node-style callback. */
type GoParse = (fileName: string, text: string, done: (error: unknown, json?: string) => void) => void;

interface GoRuntime {
  importObject: WebAssembly.Imports;
  run(instance: WebAssembly.Instance): Promise<void>;
}

const packageRequire = createRequire(import.meta.url);

async function startParser(): Promise<GoParse> {
  // Defines globalThis.Go (and the few globals Go's glue expects on Node).
  packageRequire('@cdktf/hcl2json/wasm/bridge_wasm_exec.js');
  const Go = (globalThis as unknown as { Go: new () => GoRuntime }).Go;
  const module = gunzipSync(await readFile(packageRequire.resolve('@cdktf/hcl2json/main.wasm.gz')));
  const go = new Go();
  const { instance } = await WebAssembly.instantiate(module, go.importObject);
  const exported: { parse?: GoParse } = {};
  (globalThis as Record<string, unknown>).__parse_terraform_config_wasm__ = exported;
  // Runs the Go program's main, which registers its functions and then waits for calls for good.
  void go.run(instance);
  if (typeof exported.parse !== 'function') throw new Error('the HCL parser did not start');
  return exported.parse;
}

const parser = startParser();
// A parser that failed to start fails each request with its reason (parse below), not the thread.
parser.catch(() => undefined);

async function parse(fileName: string, text: string): Promise<Record<string, unknown>> {
  const goParse = await parser;
  const json = await new Promise<string>((resolve, reject) =>
    goParse(fileName, text, (error, output) =>
      error ? reject(new Error(String(error))) : resolve(output ?? ''),
    ),
  );
  return JSON.parse(json) as Record<string, unknown>;
}

parentPort?.on('message', async (request: HclRequest) => {
  let reply: HclReply;
  try {
    reply = { id: request.id, ok: true, value: await parse(request.fileName, request.text) };
  } catch (error) {
    // Only the parser's first line goes back: it names the position, never more of the input.
    const message = error instanceof Error ? error.message : String(error);
    reply = { id: request.id, ok: false, message: message.split('\n')[0] };
  }
  parentPort?.postMessage(reply);
});
