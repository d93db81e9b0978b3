import { describe, expect, it } from 'vitest';
import { eventMatches } from './support/pattern-helpers.js';

describe('compileEventPattern', () => {
  describe('matches', () => {
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
    describe('the content filtering examples: prefix and suffix', () => {
      it('matches a prefix of the time field', () => {
        const pattern = { time: [{ prefix: '2017-10-02' }] };
        expect(eventMatches(pattern, { time: '2017-10-02T18:43:48Z' })).toBe(true);
        expect(eventMatches(pattern, { time: '2017-10-03T18:43:48Z' })).toBe(false);
      });

      it('matches a prefix regardless of case with equals-ignore-case', () => {
        const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
        for (const service of ['EventBridge', 'EVENTBRIDGE', 'eventbridge', 'eVeNtB']) {
          expect(eventMatches(pattern, { detail: { service } })).toBe(true);
        }
        expect(eventMatches(pattern, { detail: { service: 'Event' } })).toBe(false);
      });

      it('matches a suffix (FileName ends with .png)', () => {
        const pattern = { FileName: [{ suffix: '.png' }] };
        expect(eventMatches(pattern, { FileName: 'photo.png' })).toBe(true);
        expect(eventMatches(pattern, { FileName: 'photo.PNG' })).toBe(false);
        expect(eventMatches(pattern, { FileName: 'photo.jpg' })).toBe(false);
      });

      it('matches a suffix regardless of case with equals-ignore-case', () => {
        const pattern = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };
        expect(eventMatches(pattern, { detail: { FileName: 'photo.PNG' } })).toBe(true);
        expect(eventMatches(pattern, { detail: { FileName: 'photo.png' } })).toBe(true);
        expect(eventMatches(pattern, { detail: { FileName: 'photo.gif' } })).toBe(false);
      });

      it('only applies prefix and suffix to strings', () => {
        expect(eventMatches({ code: [{ prefix: '12' }] }, { code: 123 })).toBe(false);
        expect(eventMatches({ code: [{ suffix: '3' }] }, { code: 123 })).toBe(false);
      });
    });

    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
    describe('the content filtering examples: anything-but', () => {
      it('matches anything but one string', () => {
        const pattern = { detail: { state: [{ 'anything-but': 'initializing' }] } };
        expect(eventMatches(pattern, { detail: { state: 'running' } })).toBe(true);
        expect(eventMatches(pattern, { detail: { state: 'initializing' } })).toBe(false);
      });

      it('matches anything but one number', () => {
        const pattern = { detail: { 'x-limit': [{ 'anything-but': 123 }] } };
        expect(eventMatches(pattern, { detail: { 'x-limit': 124 } })).toBe(true);
        expect(eventMatches(pattern, { detail: { 'x-limit': 123 } })).toBe(false);
      });

      it('matches anything but a list of strings', () => {
        const pattern = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
        expect(eventMatches(pattern, { detail: { state: 'running' } })).toBe(true);
        expect(eventMatches(pattern, { detail: { state: 'stopped' } })).toBe(false);
        expect(eventMatches(pattern, { detail: { state: 'overloaded' } })).toBe(false);
      });

      it('matches anything but a list of numbers', () => {
        const pattern = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
        expect(eventMatches(pattern, { detail: { 'x-limit': 150 } })).toBe(true);
        expect(eventMatches(pattern, { detail: { 'x-limit': 200 } })).toBe(false);
      });

      it('matches anything but a prefix ("init")', () => {
        const pattern = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
        expect(eventMatches(pattern, { detail: { state: 'running' } })).toBe(true);
        expect(eventMatches(pattern, { detail: { state: 'initializing' } })).toBe(false);
      });

      it('does not match a missing field (anything-but needs a value)', () => {
        expect(
          eventMatches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: {} }),
        ).toBe(false);
      });
    });

    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
    // (the comparison operators table; each row's rule syntax with events that do and do not match)
    describe('the comparison operators table', () => {
      it('And: Location is "New York" and Day is "Monday"', () => {
        const pattern = { Location: ['New York'], Day: ['Monday'] };
        expect(eventMatches(pattern, { Location: 'New York', Day: 'Monday' })).toBe(true);
        expect(eventMatches(pattern, { Location: 'New York', Day: 'Tuesday' })).toBe(false);
      });

      it('Anything-but (begins with): Region is not in the US', () => {
        const pattern = { Region: [{ 'anything-but': { prefix: 'us-' } }] };
        expect(eventMatches(pattern, { Region: 'eu-west-1' })).toBe(true);
        expect(eventMatches(pattern, { Region: 'us-east-1' })).toBe(false);
      });

      it('Anything-but (ends with): FileName does not end with .png', () => {
        const pattern = { FileName: [{ 'anything-but': { suffix: '.png' } }] };
        expect(eventMatches(pattern, { FileName: 'a.jpg' })).toBe(true);
        expect(eventMatches(pattern, { FileName: 'a.png' })).toBe(false);
      });

      it('Anything-but (ignore case): state is not "initializing" in any casing', () => {
        const pattern = { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] };
        expect(eventMatches(pattern, { state: 'running' })).toBe(true);
        expect(eventMatches(pattern, { state: 'INITIALIZING' })).toBe(false);
        expect(eventMatches(pattern, { state: 'Initializing' })).toBe(false);
      });

      it('Anything-but using a wildcard: FilePath does not include /lib/', () => {
        const pattern = { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] };
        expect(eventMatches(pattern, { FilePath: '/usr/bin/node' })).toBe(true);
        expect(eventMatches(pattern, { FilePath: '/usr/lib/node' })).toBe(false);
      });

      it('Begins with: Region is in the US', () => {
        const pattern = { Region: [{ prefix: 'us-' }] };
        expect(eventMatches(pattern, { Region: 'us-east-1' })).toBe(true);
        expect(eventMatches(pattern, { Region: 'eu-west-1' })).toBe(false);
      });

      it('Begins with (ignore case): service starts with "eventb"', () => {
        const pattern = { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] };
        expect(eventMatches(pattern, { service: 'EventBridge' })).toBe(true);
        expect(eventMatches(pattern, { service: 'Lambda' })).toBe(false);
      });

      it('Empty: LastName is empty', () => {
        const pattern = { LastName: [''] };
        expect(eventMatches(pattern, { LastName: '' })).toBe(true);
        expect(eventMatches(pattern, { LastName: 'Doe' })).toBe(false);
      });

      it('Equals: Name is "Alice"', () => {
        expect(eventMatches({ Name: ['Alice'] }, { Name: 'Alice' })).toBe(true);
        expect(eventMatches({ Name: ['Alice'] }, { Name: 'alice' })).toBe(false);
      });

      it('Equals (ignore case): Name is "Alice" in any casing', () => {
        const pattern = { Name: [{ 'equals-ignore-case': 'alice' }] };
        expect(eventMatches(pattern, { Name: 'ALICE' })).toBe(true);
        expect(eventMatches(pattern, { Name: 'Alice' })).toBe(true);
        expect(eventMatches(pattern, { Name: 'Alicia' })).toBe(false);
      });

      it('Ends with (ignore case): service ends with "tbridge" in any casing', () => {
        const pattern = { service: [{ suffix: { 'equals-ignore-case': 'tBridge' } }] };
        expect(eventMatches(pattern, { service: 'EVENTBRIDGE' })).toBe(true);
        expect(eventMatches(pattern, { service: 'EventBus' })).toBe(false);
      });

      it('Exists: ProductName exists', () => {
        const pattern = { ProductName: [{ exists: true }] };
        expect(eventMatches(pattern, { ProductName: 'Widget' })).toBe(true);
        expect(eventMatches(pattern, { Price: 3 })).toBe(false);
      });

      it('Does not exist: ProductName does not exist', () => {
        const pattern = { ProductName: [{ exists: false }] };
        expect(eventMatches(pattern, { Price: 3 })).toBe(true);
        expect(eventMatches(pattern, { ProductName: 'Widget' })).toBe(false);
      });

      it('Not: Weather is anything but "Raining"', () => {
        const pattern = { Weather: [{ 'anything-but': ['Raining'] }] };
        expect(eventMatches(pattern, { Weather: 'Sunny' })).toBe(true);
        expect(eventMatches(pattern, { Weather: 'Raining' })).toBe(false);
      });

      it('Null: UserID is null', () => {
        expect(eventMatches({ UserID: [null] }, { UserID: null })).toBe(true);
        expect(eventMatches({ UserID: [null] }, { UserID: 'u-1' })).toBe(false);
      });

      it('Numeric (equals): Price is 100', () => {
        const pattern = { Price: [{ numeric: ['=', 100] }] };
        expect(eventMatches(pattern, { Price: 100 })).toBe(true);
        expect(eventMatches(pattern, { Price: 100.5 })).toBe(false);
      });

      it('Numeric (range): Price is more than 10 and at most 20', () => {
        const pattern = { Price: [{ numeric: ['>', 10, '<=', 20] }] };
        expect(eventMatches(pattern, { Price: 20 })).toBe(true);
        expect(eventMatches(pattern, { Price: 10 })).toBe(false);
        expect(eventMatches(pattern, { Price: 20.000001 })).toBe(false);
      });

      it('Or: PaymentType is "Credit" or "Debit"', () => {
        const pattern = { PaymentType: ['Credit', 'Debit'] };
        expect(eventMatches(pattern, { PaymentType: 'Debit' })).toBe(true);
        expect(eventMatches(pattern, { PaymentType: 'Cash' })).toBe(false);
      });

      it('Or (multiple fields): Location is "New York" or Day is "Monday"', () => {
        const pattern = { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] };
        expect(eventMatches(pattern, { Location: 'New York', Day: 'Sunday' })).toBe(true);
        expect(eventMatches(pattern, { Location: 'Paris', Day: 'Monday' })).toBe(true);
        expect(eventMatches(pattern, { Location: 'Paris', Day: 'Sunday' })).toBe(false);
      });

      it('Wildcard: FileName matches dir/*.png', () => {
        const pattern = { FileName: [{ wildcard: 'dir/*.png' }] };
        expect(eventMatches(pattern, { FileName: 'dir/a.png' })).toBe(true);
        expect(eventMatches(pattern, { FileName: 'dir/sub/a.png' })).toBe(true);
        expect(eventMatches(pattern, { FileName: 'other/a.png' })).toBe(false);
      });
    });

    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
    // ("Wildcard matching") and aws/event-ruler WildcardParser for escapes.
    describe('wildcard', () => {
      it('matches the EventBusArn example', () => {
        const pattern = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };
        expect(
          eventMatches(pattern, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' }),
        ).toBe(true);
        expect(
          eventMatches(pattern, { EventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/default' }),
        ).toBe(false);
      });

      it('lets * match nothing, and anchors both ends', () => {
        const pattern = { k: [{ wildcard: 'a*b*c' }] };
        expect(eventMatches(pattern, { k: 'abc' })).toBe(true);
        expect(eventMatches(pattern, { k: 'aXXbYYc' })).toBe(true);
        expect(eventMatches(pattern, { k: 'abcd' })).toBe(false);
        expect(eventMatches(pattern, { k: 'ab' })).toBe(false);
      });

      it('reads \\* as a literal asterisk and \\\\ as a literal backslash', () => {
        expect(eventMatches({ k: [{ wildcard: 'a\\*b' }] }, { k: 'a*b' })).toBe(true);
        expect(eventMatches({ k: [{ wildcard: 'a\\*b' }] }, { k: 'aXb' })).toBe(false);
        expect(eventMatches({ k: [{ wildcard: 'a\\\\b' }] }, { k: 'a\\b' })).toBe(true);
        expect(eventMatches({ k: [{ wildcard: '\\**' }] }, { k: '*anything' })).toBe(true);
      });

      it('treats regular expression characters literally', () => {
        expect(eventMatches({ k: [{ wildcard: 'a.(b)+*' }] }, { k: 'a.(b)+x' })).toBe(true);
        expect(eventMatches({ k: [{ wildcard: 'a.(b)+*' }] }, { k: 'aX(b)+x' })).toBe(false);
      });

      it('only matches strings', () => {
        expect(eventMatches({ k: [{ wildcard: '1*' }] }, { k: 12 })).toBe(false);
      });
    });

    // Assumption (event-ruler compares the JSON text of values): anything-but with strings is a
    // byte-level "not equal", so numbers, booleans and null are never one of the excluded strings;
    // anything-but with numbers only applies to JSON numbers.
    describe('anything-but across JSON types (assumption)', () => {
      it('lets a string anything-but match numbers, booleans and null', () => {
        const pattern = { k: [{ 'anything-but': 'x' }] };
        expect(eventMatches(pattern, { k: 5 })).toBe(true);
        expect(eventMatches(pattern, { k: true })).toBe(true);
        expect(eventMatches(pattern, { k: null })).toBe(true);
      });

      it('does not let a numeric anything-but match strings', () => {
        expect(eventMatches({ k: [{ 'anything-but': [100] }] }, { k: '5' })).toBe(false);
      });

      it('matches an event array if any element is not excluded (intersection semantics)', () => {
        const pattern = { k: [{ 'anything-but': ['rugby', 'tennis'] }] };
        expect(eventMatches(pattern, { k: ['rugby', 'baseball'] })).toBe(true);
        expect(eventMatches(pattern, { k: ['rugby', 'tennis'] })).toBe(false);
      });

      it('accepts lists inside anything-but operators (event-ruler)', () => {
        const pattern = { k: [{ 'anything-but': { prefix: ['us-', 'eu-'] } }] };
        expect(eventMatches(pattern, { k: 'ap-south-1' })).toBe(true);
        expect(eventMatches(pattern, { k: 'eu-west-1' })).toBe(false);
      });
    });
  });
});
