/** Runs one command: parse its flags, build the context, map failures to vault's exit codes. */
import { type Command, Context, HTTP_FLAGS, OUTPUT_FLAGS, SetupError } from './command.js';
import { type FlagDef, FlagError, flagHelp, parseFlags, trailingFlagWarning } from './flags.js';
import { type CliIo, Ui } from './io.js';

function commandFlags(command: Command): FlagDef[] {
  return [...HTTP_FLAGS, ...(command.output ?? []).map((o) => OUTPUT_FLAGS[o]), ...(command.flags ?? [])];
}

export function commandHelp(command: Command): string {
  const sections = [command.help.trim(), `HTTP Options:\n\n${flagHelp(HTTP_FLAGS)}`];
  const output = (command.output ?? []).map((o) => OUTPUT_FLAGS[o]);
  if (output.length) sections.push(`Output Options:\n\n${flagHelp(output)}`);
  if (command.flags?.length) sections.push(`Command Options:\n\n${flagHelp(command.flags)}`);
  return `${sections.join('\n\n')}\n`;
}

export async function runCommand(command: Command, args: string[], io: CliIo): Promise<number> {
  const ui = new Ui(io);
  let ctx: Context;
  try {
    ctx = new Context(io, ui, parseFlags(commandFlags(command), args));
  } catch (error) {
    if (error instanceof FlagError && error.help) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    ui.error((error as Error).message);
    return 1;
  }
  const warning = trailingFlagWarning(ctx.flags.args);
  if (warning && ctx.format === 'table') ui.warn(warning);
  const curlMode = ctx.flags.bool('output-curl-string');
  // In curl mode the command's own messages (its "error" is the unsent request) are swallowed.
  ui.silent = curlMode;
  let code: number;
  try {
    code = await command.run(ctx, ctx.flags.args);
  } catch (error) {
    ui.error((error as Error).message);
    code = error instanceof SetupError ? 2 : 1;
  } finally {
    ctx.close();
  }
  if (curlMode) {
    ui.silent = false;
    const curl = ctx.lastCurlString;
    if (curl) {
      ui.output(curl);
      return 0;
    }
  }
  return code;
}
