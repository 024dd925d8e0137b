/** Keyring and seal control: `sys/rotate`, `sys/key-status`, `sys/seal`. */
import { definePath } from '../../framework/path.js';
import type { Core } from '../core.js';
import { deniedByPolicy } from '../errors.js';

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
      pattern: 'seal',
      operations: {
        // Vault checks root-or-sudo on sys/seal in code, beyond the ACL's update capability.
        update: async (_ctx, _input, req) => {
          if (!req.caller?.hasSudo) throw deniedByPolicy();
          await core.sealVault();
        },
      },
      help: 'Seal the server.',
    }),
  ];
}
