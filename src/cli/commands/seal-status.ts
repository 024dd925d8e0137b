/** The seal-status report shared by `status` and `operator unseal`, merged with `sys/leader` like vault's. */
import type { VaultClient } from '../../client/client.js';
import type { SealStatus } from '../../client/sys.js';
import type { Context } from '../command.js';
import { goJson, toYaml } from '../format/encode.js';
import { printRawField } from '../format/output.js';
import { table } from '../format/table.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Seal status plus the leader fields, in the Go `SealStatusOutput` order. */
export async function sealStatusOutput(
  client: VaultClient,
  status: SealStatus,
): Promise<Record<string, unknown>> {
  let leader: Record<string, unknown>;
  try {
    leader = await client.sys.leader();
  } catch (error) {
    // Vault masks this one: a sealed node cannot say who leads, which it takes to mean HA is on.
    if (!(error as Error).message.includes('Vault is sealed')) throw error;
    leader = { ha_enabled: true };
  }
  const out: Record<string, unknown> = { ...status, ha_enabled: leader.ha_enabled === true };
  if (leader.is_self === true) out.is_self = true;
  out.active_time = typeof leader.active_time === 'string' ? leader.active_time : ZERO_TIME;
  for (const key of [
    'leader_address',
    'leader_cluster_address',
    'performance_standby',
    'performance_standby_last_remote_wal',
    'last_wal',
    'raft_committed_index',
    'raft_applied_index',
  ]) {
    if (leader[key]) out[key] = leader[key];
  }
  return out;
}

function rows(s: Record<string, unknown>): string[][] {
  const prefix = s.recovery_seal === true ? 'Recovery ' : '';
  const out = [
    ['Seal Type', String(s.type ?? '')],
    // An auto seal's recovery keys are a Shamir split of their own (vault status shows both).
    ...(s.recovery_seal === true ? [['Recovery Seal Type', String(s.recovery_seal_type ?? 'shamir')]] : []),
    ['Initialized', String(s.initialized === true)],
    ['Sealed', String(s.sealed === true)],
    [`Total ${prefix}Shares`, String(s.n ?? 0)],
    ['Threshold', String(s.t ?? 0)],
  ];
  if (s.sealed === true) {
    out.push(['Unseal Progress', `${s.progress ?? 0}/${s.t ?? 0}`], ['Unseal Nonce', String(s.nonce ?? '')]);
  }
  if (s.migration === true) out.push(['Seal Migration in Progress', 'true']);
  out.push(['Version', String(s.version ?? '')]);
  if (s.build_date !== undefined) out.push(['Build Date', String(s.build_date)]);
  out.push(['Storage Type', String(s.storage_type ?? '')]);
  if (s.cluster_name && s.cluster_id)
    out.push(['Cluster Name', String(s.cluster_name)], ['Cluster ID', String(s.cluster_id)]);
  out.push(['HA Enabled', String(s.ha_enabled === true)]);
  if (s.ha_enabled === true && s.sealed !== true) {
    out.push(['HA Cluster', String(s.leader_cluster_address ?? '')]);
    out.push(['HA Mode', s.is_self === true ? 'active' : 'standby']);
    if (s.is_self === true && s.active_time !== ZERO_TIME) out.push(['Active Since', String(s.active_time)]);
    if (s.is_self !== true) out.push(['Active Node Address', String(s.leader_address || '<none>')]);
  }
  if (Array.isArray(s.warnings) && s.warnings.length) out.push(['Warnings', `[${s.warnings.join(' ')}]`]);
  return out;
}

/** Prints the report in the chosen format; answers the exit code of the printing (0, or 1 on a bad format). */
export async function printSealStatus(
  ctx: Context,
  client: VaultClient,
  status: SealStatus,
): Promise<number> {
  let report: Record<string, unknown>;
  try {
    report = await sealStatusOutput(client, status);
  } catch (error) {
    ctx.ui.error(`Error checking leader status: ${(error as Error).message}`);
    return 1;
  }
  if (ctx.field) return printRawField(ctx.out, report, ctx.field, false);
  switch (ctx.format) {
    case 'table':
      ctx.ui.output(table(['Key', 'Value'], rows(report)));
      return 0;
    case 'json':
      ctx.ui.output(goJson(report));
      return 0;
    case 'yaml':
    case 'yml':
      ctx.ui.output(toYaml(report));
      return 0;
    default:
      ctx.ui.error(`Invalid output format: ${ctx.format}`);
      return 1;
  }
}
