/** `random(/:source)(/:urlbytes)` and `hash(/:urlalgorithm)`: the same service as `sys/tools/`, no key involved. */
import { randomAndHashPaths } from '../../../framework/random-and-hash.js';

export const randomPaths = randomAndHashPaths('');
