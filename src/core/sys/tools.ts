/** `sys/tools/random` and `sys/tools/hash`: randomness and hashing as a service. */
import { randomAndHashPaths } from '../../framework/random-and-hash.js';

export const toolPaths = randomAndHashPaths('tools/');
