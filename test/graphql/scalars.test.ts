// The schema's date scalar (src/graphql/scalars.ts): graphql-scalars' DateTimeISO, with each Date's text remembered.
// What is remembered must never outlive the time it was made from, and what graphql-scalars refuses stays refused.
import { GraphQLDateTimeISO } from 'graphql-scalars';
import { DateTimeISO } from '../../src/graphql/scalars.js';

describe('DateTimeISO', () => {
  it('is the same scalar to a client: name, description and URL of its specification', () => {
    const { serialize: _ours, ...ours } = DateTimeISO.toConfig();
    const { serialize: _theirs, ...theirs } = GraphQLDateTimeISO.toConfig();
    expect(ours).toEqual(theirs);
  });

  it('answers a Date as graphql-scalars does, again and again', () => {
    const date = new Date('2026-11-28T01:02:03.456Z');
    expect(DateTimeISO.serialize(date)).toBe('2026-11-28T01:02:03.456Z');
    expect(DateTimeISO.serialize(date)).toBe(GraphQLDateTimeISO.serialize(date));
  });

  it('answers a Date changed in place with its new time, not the text remembered', () => {
    const date = new Date('2026-11-28T01:02:03.456Z');
    expect(DateTimeISO.serialize(date)).toBe('2026-11-28T01:02:03.456Z');
    date.setTime(Date.parse('2030-01-01T00:00:00Z'));
    expect(DateTimeISO.serialize(date)).toBe('2030-01-01T00:00:00.000Z');
  });

  it('refuses an invalid Date, before and after the same Date was valid', () => {
    expect(() => DateTimeISO.serialize(new Date(Number.NaN))).toThrow('DateTime cannot represent an invalid Date instance');
    const date = new Date(0);
    DateTimeISO.serialize(date);
    date.setTime(Number.NaN);
    expect(() => DateTimeISO.serialize(date)).toThrow('DateTime cannot represent an invalid Date instance');
  });

  it('leaves what is not a Date to graphql-scalars', () => {
    expect(DateTimeISO.serialize('2007-12-03T10:15:30Z')).toBe(GraphQLDateTimeISO.serialize('2007-12-03T10:15:30Z'));
    expect(() => DateTimeISO.serialize('yesterday')).toThrow('DateTime cannot represent an invalid date-time-string yesterday');
    expect(() => DateTimeISO.serialize(true)).toThrow('non Date type');
  });
});
