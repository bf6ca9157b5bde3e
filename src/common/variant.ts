/** One side of an A/B test: `a` (control) or `b` (treatment). Every module spells it with this type. */
export type Variant = 'a' | 'b';
