/**
 * HCL parsing through HashiCorp's own HCL implementation (compiled to WebAssembly by @cdktf/hcl2json),
 * shared by the server configuration and ACL policies. Blocks come back as
 * `{ block: { label: [ { ...attributes } ] } }`.
 */
import { parse } from '@cdktf/hcl2json';
import { invalid } from '../core/errors.js';

export async function parseHcl(text: string, fileName = 'input.hcl'): Promise<Record<string, unknown>> {
  try {
    return (await parse(fileName, text)) as Record<string, unknown>;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw invalid(message.split('\n')[0]);
  }
}
