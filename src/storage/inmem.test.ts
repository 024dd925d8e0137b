import { storageConformance } from './conformance.js';
import { InmemBackend } from './inmem.js';

storageConformance('inmem', async () => new InmemBackend());
