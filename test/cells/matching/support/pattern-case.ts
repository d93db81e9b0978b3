/** A malformed pattern or policy and the exact message it must be refused with. */
export interface Case {
  readonly label: string;
  readonly input: unknown;
  readonly message: string;
}
