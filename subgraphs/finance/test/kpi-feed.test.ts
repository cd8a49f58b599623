import { readFileSync } from 'node:fs';
import { Kind, parse, type ObjectTypeDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { KPI_EVENT_TYPES } from '../src/domain/kpis.ts';

describe('the kpis subscription feed', () => {
  it('declares in the SDL exactly the events the KPI counters move on', () => {
    const document = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));
    const subscription = document.definitions.find(
      (d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === 'Subscription',
    )!;
    const feed = subscription.fields!.find((f) => f.name.value === 'kpis')!.directives!.find((d) => d.name.value === 'eventFeed')!;
    const types = feed.arguments!.find((a) => a.name.value === 'types')!.value;
    expect(types.kind).toBe(Kind.LIST);
    const declared = types.kind === Kind.LIST ? types.values.map((v) => (v.kind === Kind.STRING ? v.value : '?')) : [];
    expect([...declared].sort()).toEqual([...KPI_EVENT_TYPES].sort());
  });
});
