/** A list of SQL statements. Unlike `field.stringList`, a single string is one entry: SQL has commas. */
import { invalid } from '../../core/errors.js';
import type { Field } from '../../framework/fields.js';

const MAX_STATEMENT = 1 << 20;
const MAX_STATEMENTS = 1024;

function parseStatements(value: unknown, name: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length > MAX_STATEMENTS) throw invalid(`field "${name}" has more than ${MAX_STATEMENTS} entries`);
  return list
    .map((item) => {
      if (typeof item !== 'string') throw invalid(`field "${name}" must be a string or a list of strings`);
      if (item.length > MAX_STATEMENT) throw invalid(`field "${name}" has an entry longer than 1 MiB`);
      return item;
    })
    .filter((item) => item.trim() !== '');
}

export const statementsField = (description: string): Field<string[]> => ({
  kind: 'stringList',
  description,
  parse: parseStatements,
});
