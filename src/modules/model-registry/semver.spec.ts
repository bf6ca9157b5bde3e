import { describe, expect, it } from 'vitest';
import { canonicalVersion, MAX_VERSION_LENGTH, parseVersion } from './semver.js';

describe('parseVersion', () => {
  it.each([
    ['v2.0.0', { major: 2, minor: 0, patch: 0, prerelease: [], build: [], canonical: 'v2.0.0' }],
    ['2.0.0', { major: 2, minor: 0, patch: 0, prerelease: [], build: [], canonical: 'v2.0.0' }],
    ['1.4.0-rc.1', { major: 1, minor: 4, patch: 0, prerelease: ['rc', '1'], build: [], canonical: 'v1.4.0-rc.1' }],
    ['v0.0.1-alpha-2.x.7+build.5', { major: 0, minor: 0, patch: 1, prerelease: ['alpha-2', 'x', '7'], build: ['build', '5'], canonical: 'v0.0.1-alpha-2.x.7+build.5' }],
    ['10.20.30+20240517', { major: 10, minor: 20, patch: 30, prerelease: [], build: ['20240517'], canonical: 'v10.20.30+20240517' }],
    ['1.0.0-0A.is.legal', { major: 1, minor: 0, patch: 0, prerelease: ['0A', 'is', 'legal'], build: [], canonical: 'v1.0.0-0A.is.legal' }],
  ])('accepts %s', (raw, expected) => {
    expect(parseVersion(raw)).toEqual(expected);
  });

  it.each([
    [''],
    ['v'],
    ['2'],
    ['2.0'],
    ['v2.0'],
    ['V2.0.0'],
    ['vv2.0.0'],
    ['01.0.0'],
    ['1.02.0'],
    ['1.0.0-01'],
    ['1.0.0-'],
    ['1.0.0+'],
    ['1.0.0-rc..1'],
    ['1.0.0 '],
    [' 1.0.0'],
    ['1.0.0/../../x'],
    ['latest'],
    ['99999999999999999999.0.0'],
  ])('rejects %j', (raw) => {
    expect(parseVersion(raw)).toBeNull();
  });

  it('rejects a value that is not a string (an unchecked body field)', () => {
    expect(parseVersion(2 as unknown as string)).toBeNull();
    expect(parseVersion(undefined as unknown as string)).toBeNull();
  });

  it(`rejects versions longer than ${MAX_VERSION_LENGTH} characters`, () => {
    const long = `v1.0.0-${'a'.repeat(MAX_VERSION_LENGTH)}`;
    expect(parseVersion(long)).toBeNull();
    expect(parseVersion(long.slice(0, MAX_VERSION_LENGTH))).not.toBeNull();
    // Without the v, the stored form is one character longer than what was sent.
    expect(parseVersion(long.slice(1, MAX_VERSION_LENGTH + 1))).toBeNull();
  });
});

describe('canonicalVersion', () => {
  it('adds the leading v and keeps everything else', () => {
    expect(canonicalVersion('2.0.0')).toBe('v2.0.0');
    expect(canonicalVersion('v2.0.0')).toBe('v2.0.0');
    expect(canonicalVersion('1.4.0-rc.1+sha.5114f85')).toBe('v1.4.0-rc.1+sha.5114f85');
  });

  it('is null for a non-version', () => {
    expect(canonicalVersion('two')).toBeNull();
  });
});
