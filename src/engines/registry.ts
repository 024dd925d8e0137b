/** Built-in secrets engines and auth methods; adding one is one line here. */
import { approleEngine } from '../auth/approle/index.js';
import { jwtEngine, oidcEngine } from '../auth/jwt/index.js';
import { kubernetesEngine } from '../auth/kubernetes/index.js';
import { ldapEngine } from '../auth/ldap/index.js';
import { userpassEngine } from '../auth/userpass/index.js';
import type { Engine } from '../framework/engine.js';
import { cubbyholeEngine } from './cubbyhole/index.js';
import { databaseEngine } from './database/index.js';
import { kvEngine } from './kv/index.js';
import { pkiEngine } from './pki/index.js';
import { transitEngine } from './transit/index.js';

export const builtinEngines: Engine[] = [
  kvEngine,
  cubbyholeEngine,
  userpassEngine,
  approleEngine,
  jwtEngine,
  oidcEngine,
  kubernetesEngine,
  ldapEngine,
  databaseEngine,
  transitEngine,
  pkiEngine,
];
