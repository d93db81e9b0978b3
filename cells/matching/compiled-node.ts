/**
 * What a pattern compiles to: a tree of {@link CompiledObject} nodes (fields ANDed, `$or` groups)
 * with {@link CompiledLeaf} lists of alternatives at the leaves. The compile step builds it once;
 * the matcher walks it per event without parsing or allocating.
 *
 * @example
 * const leaf: CompiledLeaf = compileLeaf(['a', { prefix: 'b' }], ['state'], ctx);
 */

/**
 * A validated, precompiled pattern. `matches` never throws and never re-parses JSON: give it the
 * already parsed event (EventBridge) or message body (SNS `MessageBody` scope).
 *
 * @example
 * const rule = compileEventPattern({ source: ['invoices'], detail: { stage: ['issued'] } });
 * rule.matches({ source: 'invoices', detail: { stage: 'issued' } }); // true
 */
export interface CompiledMatcher {
  matches(event: unknown): boolean;
}

/** A test compiled from one string or numeric operator. */
export type StringTest = (value: string) => boolean;
export type NumberTest = (value: number) => boolean;

/** The list of alternatives for one field: `"state": ["a", {"prefix": "b"}, {"exists": false}]`. */
export interface CompiledLeaf {
  readonly kind: 'leaf';
  readonly existsTrue: boolean;
  readonly existsFalse: boolean;
  readonly exactStrings: ReadonlySet<string> | undefined;
  readonly exactNumbers: ReadonlySet<number> | undefined;
  readonly matchNull: boolean;
  readonly matchTrue: boolean;
  readonly matchFalse: boolean;
  readonly stringTests: readonly StringTest[];
  readonly numberTests: readonly NumberTest[];
  /**
   * A string-valued anything-but is in the list. Ruler compares JSON text, so a number, boolean or
   * null is never one of the excluded strings and matches it.
   */
  readonly nonStringsMatch: boolean;
  /** SNS exists semantics: null and "" do not count as present. */
  readonly emptyIsAbsent: boolean;
  /** Only `{"exists": false}` alternatives: satisfied by absence and by nothing else. */
  readonly onlyAbsence: boolean;
}

/** A nested object of the pattern: fields ANDed, plus `$or` groups of alternative objects. */
export interface CompiledObject {
  readonly kind: 'object';
  readonly fields: readonly (readonly [string, CompiledNode])[];
  readonly orGroups: readonly (readonly CompiledObject[])[];
  /** Matches a missing (or non-object) event node: every constraint accepts absence. */
  readonly satisfiedByAbsence: boolean;
  /** Every constraint is `{"exists": false}`. */
  readonly onlyAbsence: boolean;
}

export type CompiledNode = CompiledLeaf | CompiledObject;

/** A leaf under construction: {@link compileLeaf} fills it, one alternative at a time. */
export interface LeafParts {
  existsTrue: boolean;
  existsFalse: boolean;
  exactStrings: Set<string> | undefined;
  exactNumbers: Set<number> | undefined;
  matchNull: boolean;
  matchTrue: boolean;
  matchFalse: boolean;
  stringTests: StringTest[];
  numberTests: NumberTest[];
  nonStringsMatch: boolean;
  onlyAbsence: boolean;
}
