/** Moving a mount (`secrets move`, `auth move`): start with sys/remount, then poll the migration. */
import { isRecord } from '../../client/secret.js';
import type { Context } from '../command.js';

const POLL_MS = 1000;

export async function moveMount(ctx: Context, from: string, to: string, noun: string): Promise<number> {
  const client = ctx.client();
  let id: string;
  try {
    id = await client.sys.remount(from, to);
  } catch (error) {
    return ctx.fail(`Error moving ${noun} ${from} to ${to}`, error);
  }
  if (!id) {
    ctx.ui.output(`Success! Moved ${noun} ${from} to: ${to}`);
    return 0;
  }
  ctx.ui.output(`Started moving ${noun} ${from} to ${to}, with migration ID ${id}`);
  for (;;) {
    let status: unknown;
    try {
      const data = await client.sys.remountStatus(id);
      status = isRecord(data.migration_info) ? data.migration_info.status : undefined;
    } catch (error) {
      return ctx.fail(`Error checking migration status of ${noun} move ${id}`, error);
    }
    if (status === 'success') {
      ctx.ui.output(`Success! Finished moving ${noun} ${from} to ${to}, with migration ID ${id}`);
      return 0;
    }
    if (status === 'failure') {
      ctx.ui.error(`Failure! Error encountered moving ${noun} ${from} to ${to}, with migration ID ${id}`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
