import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cyclicMember, membershipsOf } from './groups.js';
import type { GroupRecord } from './records.js';

function group(id: string, members: { entities?: string[]; groups?: string[] } = {}): GroupRecord {
  return {
    id,
    name: id,
    type: 'internal',
    policies: [`p-${id}`],
    metadata: {},
    memberEntityIds: members.entities ?? [],
    memberGroupIds: members.groups ?? [],
    creationTime: 0,
    lastUpdateTime: 0,
    modifyIndex: 1,
  };
}

test('an entity inherits every group above its direct groups, each once', () => {
  const groups = [
    group('team', { entities: ['e1'] }),
    group('dept', { groups: ['team'] }),
    group('company', { groups: ['dept', 'team'] }),
    group('other', { entities: ['e2'] }),
  ];
  const { direct, inherited } = membershipsOf('e1', groups);
  assert.deepEqual(
    direct.map((g) => g.id),
    ['team'],
  );
  assert.deepEqual(inherited.map((g) => g.id).sort(), ['company', 'dept']);
});

test('a cycle in stored groups ends the walk instead of looping', () => {
  const groups = [group('a', { entities: ['e1'], groups: ['b'] }), group('b', { groups: ['a'] })];
  const { direct, inherited } = membershipsOf('e1', groups);
  assert.deepEqual(
    direct.map((g) => g.id),
    ['a'],
  );
  assert.deepEqual(
    inherited.map((g) => g.id),
    ['b'],
  );
});

test('an entity in no group has no memberships', () => {
  assert.deepEqual(membershipsOf('e9', [group('a', { entities: ['e1'] })]), { direct: [], inherited: [] });
});

const cycleCases = [
  { name: 'a group as its own member', groupId: 'a', members: ['a'], cycle: 'a' },
  { name: 'a group that contains the group', groupId: 'a', members: ['b'], cycle: 'b' },
  { name: 'a group that contains it two levels down', groupId: 'a', members: ['c'], cycle: 'c' },
  { name: 'an unrelated group', groupId: 'a', members: ['d'], cycle: undefined },
];
for (const c of cycleCases) {
  test(`cycle check: ${c.name}`, () => {
    const byId = new Map(
      [group('a'), group('b', { groups: ['a'] }), group('c', { groups: ['b'] }), group('d')].map((g) => [
        g.id,
        g,
      ]),
    );
    assert.equal(cyclicMember(c.groupId, c.members, byId), c.cycle);
  });
}
