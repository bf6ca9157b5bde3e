import fc from 'fast-check';

/*
 * Mutation runs only: a property that fails has killed its mutant, so stop at the first
 * counterexample instead of shrinking it (shrinking reruns the property many times and tells the
 * mutation run nothing more).
 */
fc.configureGlobal({ endOnFailure: true });
