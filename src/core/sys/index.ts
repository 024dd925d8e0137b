/** The `sys/` backend: a table of contents of its topics. */
import { defineEngine, type Engine } from '../../framework/engine.js';
import type { Core } from '../core.js';
import { auditPaths } from './audit.js';
import { capabilityPaths } from './capabilities.js';
import { internalUiPaths } from './internal-ui.js';
import { keyPaths } from './keys.js';
import { leasePaths } from './leases.js';
import { lockedUserPaths } from './locked-users.js';
import { sysMountPaths } from './mounts.js';
import { policyPaths } from './policies.js';
import { quotaPaths } from './quotas.js';
import { toolPaths } from './tools.js';
import { wrappingPaths } from './wrapping.js';

export function createSysEngine(core: Core): Engine {
  return defineEngine({
    type: 'system',
    paths: [
      ...keyPaths(core),
      ...toolPaths,
      ...sysMountPaths(core),
      ...policyPaths(core),
      ...capabilityPaths(core),
      ...internalUiPaths(core),
      ...leasePaths(core),
      ...wrappingPaths(core),
      ...auditPaths(core),
      ...lockedUserPaths(core),
      ...quotaPaths(core),
    ],
    help: 'System endpoints used for control, policy and debugging.',
  });
}
