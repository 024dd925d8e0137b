/** Keyring and seal control: `sys/rotate`, `sys/rotate/config`, `sys/key-status`, `sys/seal`. */
import { DEFAULT_ROTATION } from '../../barrier/keyring.js';
import { formatGoDuration } from '../../framework/duration.js';
import { field } from '../../framework/fields.js';
import { definePath } from '../../framework/path.js';
import type { Core } from '../core.js';
import { deniedByPolicy, invalid } from '../errors.js';

/** Vault's bounds: at least a million encryptions per key (no churn), at most the NIST-derived default. */
const MIN_OPERATIONS = 1_000_000;
const MIN_INTERVAL_SECONDS = 24 * 3600;

export function keyPaths(core: Core) {
  return [
    definePath({
      pattern: 'key-status',
      operations: {
        read: () => {
          const status = core.barrier.keyStatus();
          return {
            data: {
              term: status.term,
              install_time: status.installTime.toISOString(),
              encryptions: status.encryptions,
            },
          };
        },
      },
      help: 'The active encryption key term of the barrier.',
    }),
    definePath({
      pattern: 'rotate',
      operations: {
        update: async () => {
          await core.barrier.rotate();
          core.log.info('barrier key rotated', { term: core.barrier.keyStatus().term });
        },
      },
      help: 'Add a new barrier key term; old entries stay readable.',
    }),
    definePath({
      pattern: 'rotate/config',
      fields: {
        max_operations: field.int('Encryptions after which the key is rotated automatically.'),
        interval: field.duration('Age of the active key at which it is rotated (at least 24h; 0: never).'),
        enabled: field.bool('false: no automatic rotation (encryptions are still counted).'),
      },
      operations: {
        read: () => {
          const config = core.barrier.rotationConfig();
          return {
            data: {
              max_operations: config.maxOperations,
              enabled: config.enabled,
              // Vault's shape: a Go duration when set, the number 0 when not.
              interval: config.intervalSeconds > 0 ? formatGoDuration(config.intervalSeconds) : 0,
            },
          };
        },
        update: async (_ctx, input) => {
          await core.barrier.updateRotationConfig((current) => {
            const next = {
              maxOperations: input.max_operations ?? current.maxOperations,
              intervalSeconds: input.interval ?? current.intervalSeconds,
              enabled: input.enabled ?? current.enabled,
            };
            if (next.intervalSeconds !== 0 && next.intervalSeconds < MIN_INTERVAL_SECONDS)
              throw invalid('interval must be greater or equal to 24h0m0s');
            if (next.maxOperations < MIN_OPERATIONS || next.maxOperations > DEFAULT_ROTATION.maxOperations)
              throw invalid(
                `max_operations must be in the range [${MIN_OPERATIONS},${DEFAULT_ROTATION.maxOperations}]`,
              );
            return next;
          });
        },
      },
      help: 'Automatic rotation of the barrier key, by encryption count and by age.',
    }),
    definePath({
      pattern: 'seal',
      operations: {
        // Vault checks root-or-sudo on sys/seal in code, beyond the ACL's update capability.
        update: async (_ctx, _input, req) => {
          if (!req.caller?.hasSudo) throw deniedByPolicy();
          // This request leaves the in-flight count first: the seal waits for the others, not for it.
          await core.sealVault(req);
        },
      },
      help: 'Seal the server.',
    }),
    definePath({
      pattern: 'step-down',
      operations: {
        // Vault's StepDown asks for root privileges (sudo), as sys/seal does.
        update: async (_ctx, _input, req) => {
          if (!req.caller?.hasSudo) throw deniedByPolicy();
          // Returns at once; the node steps down once this and the other requests in flight have ended.
          core.stepDown();
        },
      },
      help: 'Make the active node give up the HA lock and become a standby.',
    }),
  ];
}
