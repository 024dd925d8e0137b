import { storageConformance } from './conformance.js';
import { PostgresqlBackend } from './postgresql.js';

storageConformance(
  'postgresql',
  () =>
    PostgresqlBackend.open({
      connectionUrl: process.env.COFFER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
      table: `coffer_conformance_${process.pid}_${Date.now()}`,
    }),
  (backend) => (backend as PostgresqlBackend).drop(),
);
