/**
 * The worker thread that runs HashiCorp's HCL parser (WebAssembly). It lives only while there is
 * parsing to do: see hcl.ts for why.
 */
import { parentPort } from 'node:worker_threads';
import { parse } from '@cdktf/hcl2json';

export interface HclRequest {
  id: number;
  fileName: string;
  text: string;
}

export type HclReply =
  | { id: number; ok: true; value: Record<string, unknown> }
  | { id: number; ok: false; message: string };

parentPort?.on('message', async (request: HclRequest) => {
  let reply: HclReply;
  try {
    reply = {
      id: request.id,
      ok: true,
      value: (await parse(request.fileName, request.text)) as Record<string, unknown>,
    };
  } catch (error) {
    // Only the parser's first line goes back: it names the position, never more of the input.
    const message = error instanceof Error ? error.message : String(error);
    reply = { id: request.id, ok: false, message: message.split('\n')[0] };
  }
  parentPort?.postMessage(reply);
});
