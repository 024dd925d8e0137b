/** `policy list|read|write|delete|fmt`: ACL policies under `sys/policies/acl`. */
import { readFile, writeFile } from 'node:fs/promises';
import { type Command, type Context, checkArgs } from '../command.js';
import { outputData } from '../format/output.js';
import { readAll } from '../io.js';

/** Policy names are lower-cased by the CLI before they are sent, as vault does. */
const policyName = (raw: string) => raw.trim().toLowerCase();

type FormatPolicy = (text: string) => Promise<string>;

/**
 * The HCL formatter lives in `src/policy/parse.ts`. It is loaded through a computed specifier so this
 * module type-checks and the rest of the CLI keeps working while that module is being written.
 */
async function loadFormatter(): Promise<FormatPolicy> {
  const specifier = '../../policy/parse.js';
  const module = (await import(specifier)) as { formatPolicyHcl?: FormatPolicy };
  if (typeof module.formatPolicyHcl !== 'function') throw new Error('the policy formatter is not available');
  return module.formatPolicyHcl;
}

async function list(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 0);
  if (bad !== undefined) return bad;
  let policies: string[];
  try {
    policies = await ctx.client().sys.listPolicies();
  } catch (error) {
    return ctx.fail('Error listing policies', error);
  }
  if (ctx.format !== 'table') return outputData(ctx.out, policies);
  for (const policy of policies) ctx.ui.output(policy);
  return 0;
}

async function read(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const name = policyName(args[0]);
  let rules: string | undefined;
  try {
    rules = await ctx.client().sys.readPolicy(name);
  } catch (error) {
    return ctx.fail(`Error reading policy named ${name}`, error);
  }
  if (rules === undefined) {
    ctx.ui.error(`No policy named: ${name}`);
    return 2;
  }
  if (ctx.format !== 'table') return outputData(ctx.out, { policy: rules });
  ctx.ui.output(rules.trim());
  return 0;
}

async function write(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 2);
  if (bad !== undefined) return bad;
  const name = policyName(args[0]);
  const source = args[1].trim();
  let rules: string;
  try {
    rules = source === '-' ? await readAll(ctx.io.stdin) : await readFile(source, 'utf8');
  } catch (error) {
    return ctx.fail(source === '-' ? 'Error reading policy' : 'Error opening policy file', error);
  }
  try {
    await ctx.client().sys.putPolicy(name, rules);
  } catch (error) {
    return ctx.fail('Error uploading policy', error);
  }
  ctx.ui.output(`Success! Uploaded policy: ${name}`);
  return 0;
}

async function remove(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const name = policyName(args[0]);
  try {
    await ctx.client().sys.deletePolicy(name);
  } catch (error) {
    return ctx.fail(`Error deleting ${name}`, error);
  }
  ctx.ui.output(`Success! Deleted policy: ${name}`);
  return 0;
}

/** Formats the file in place, locally: no server involved. */
async function fmt(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const path = args[0].trim();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return ctx.usage(`Error opening policy file: ${(error as Error).message}`);
  }
  let formatted: string;
  try {
    formatted = await (await loadFormatter())(text);
  } catch (error) {
    return ctx.usage(`Failed to parse policy: ${(error as Error).message}`);
  }
  try {
    await writeFile(path, formatted);
  } catch (error) {
    return ctx.usage(`Error writing policy file: ${(error as Error).message}`);
  }
  ctx.ui.output(`Success! Formatted policy: ${path}`);
  return 0;
}

export const policyCommands: Command[] = [
  {
    name: 'policy list',
    synopsis: 'List the installed policies',
    help: 'Usage: coffer policy list [options]\n\n  Lists the names of the ACL policies.',
    output: ['format'],
    run: list,
  },
  {
    name: 'policy read',
    synopsis: 'Print a policy',
    help: 'Usage: coffer policy read [options] NAME\n\n  Prints the text of the named policy.',
    output: ['format'],
    run: read,
  },
  {
    name: 'policy write',
    synopsis: 'Upload a policy',
    help: `Usage: coffer policy write [options] NAME PATH

  Creates or replaces the policy NAME with the HCL in the file PATH ("-" reads stdin).`,
    run: write,
  },
  {
    name: 'policy delete',
    synopsis: 'Delete a policy',
    help: `Usage: coffer policy delete [options] NAME

  Deletes the policy NAME; tokens that carry it lose its rules at once.`,
    run: remove,
  },
  {
    name: 'policy fmt',
    synopsis: 'Format a policy file in place',
    help: 'Usage: coffer policy fmt [options] PATH\n\n  Rewrites the HCL policy file PATH in canonical form.',
    run: fmt,
  },
];
