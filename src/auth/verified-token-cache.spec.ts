import { describe, expect, it } from 'vitest';
import type { AuthUser } from './roles.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

const user = (sub: string, exp?: number): AuthUser => ({ sub, roles: ['user'], claims: { sub, roles: ['user'], ...(exp === undefined ? {} : { exp }) } });

describe('VerifiedTokenCache', () => {
  it('answers a remembered token until its exp, then forgets it', () => {
    let now = 1_000_000;
    const cache = new VerifiedTokenCache(10, () => now);
    cache.remember('tok', user('alice', 1010)); // expires at 1,010,000 ms
    expect(cache.get('tok')?.sub).toBe('alice');
    now = 1_009_999;
    expect(cache.get('tok')?.sub).toBe('alice');
    now = 1_010_000; // jsonwebtoken: expired from exp itself on
    expect(cache.get('tok')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('never remembers a token without a numeric exp, or one already expired', () => {
    const cache = new VerifiedTokenCache(10, () => 5_000);
    cache.remember('no-exp', user('a'));
    cache.remember('string-exp', { ...user('b'), claims: { exp: '9999999999' } });
    cache.remember('expired', user('c', 5));
    expect(cache.size).toBe(0);
  });

  it('is keyed by the whole token: a token differing in one character is a miss', () => {
    const cache = new VerifiedTokenCache(10, () => 0);
    cache.remember('header.payload.signature', user('alice', 100));
    expect(cache.get('header.payload.signaturE')).toBeUndefined();
    expect(cache.get('header.payload.signature')?.sub).toBe('alice');
  });

  it('stays within its bound, dropping expired entries first, then the oldest', () => {
    let now = 0;
    const cache = new VerifiedTokenCache(100, () => now);
    for (let i = 0; i < 50; i++) cache.remember(`short-${i}`, user(`s${i}`, 10));
    for (let i = 0; i < 50; i++) cache.remember(`long-${i}`, user(`l${i}`, 1000));
    now = 20_000; // the short ones are expired
    cache.remember('new', user('n', 1000));
    expect(cache.size).toBe(51);
    for (let i = 0; i < 500; i++) cache.remember(`more-${i}`, user(`m${i}`, 1000));
    expect(cache.size).toBeLessThanOrEqual(100);
    expect(cache.get('more-499')?.sub).toBe('m499');
    expect(cache.get('long-0')).toBeUndefined();
  });

  it('clear() forgets everything (key rotation), and a verification that started before it is not remembered', () => {
    const cache = new VerifiedTokenCache(10, () => 0);
    cache.remember('tok', user('alice', 100));
    const startedBefore = cache.epoch;
    cache.clear();
    expect(cache.get('tok')).toBeUndefined();
    cache.remember('late', user('bob', 100), startedBefore);
    expect(cache.get('late')).toBeUndefined();
    cache.remember('fresh', user('carol', 100), cache.epoch);
    expect(cache.get('fresh')?.sub).toBe('carol');
  });
});
