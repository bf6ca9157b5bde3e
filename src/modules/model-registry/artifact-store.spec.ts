import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { temporaryArtifactStore } from '../../../test/support/model-artifacts.js';
import { ArtifactIntegrityError, ArtifactNotFoundError, FileArtifactStore } from './artifact-store.js';

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

function chunks(...parts: string[]): Readable {
  return Readable.from(parts.map((part) => Buffer.from(part)));
}

describe('FileArtifactStore', () => {
  let store: FileArtifactStore;
  let remove: () => Promise<void>;

  beforeEach(async () => {
    ({ store, remove } = await temporaryArtifactStore('artifact-store-'));
  });
  afterEach(() => remove());

  it('hashes while staging and stores under sha256/ab/cdef… on commit', async () => {
    const staged = await store.stage(chunks('hello ', 'model ', 'bytes'));
    const digest = sha256('hello model bytes');
    expect(staged.sha256).toBe(digest);
    expect(staged.sizeBytes).toBe(17);
    expect((await staged.readBytes()).toString()).toBe('hello model bytes');
    expect(await store.has(digest)).toBe(false);

    const stored = await staged.commit();
    expect(stored).toEqual({ uri: `local:sha256/${digest.slice(0, 2)}/${digest.slice(2)}`, sha256: digest, sizeBytes: 17 });
    expect(await filesUnder(store.root)).toEqual([path.join('sha256', digest.slice(0, 2), digest.slice(2))]);
    expect((await store.read(digest)).toString()).toBe('hello model bytes');
  });

  it('stores the same bytes once', async () => {
    const first = await (await store.stage(chunks('same'))).commit();
    const second = await (await store.stage(chunks('sa', 'me'))).commit();
    expect(second).toEqual(first);
    expect(await filesUnder(store.root)).toHaveLength(1);
  });

  it('discard leaves nothing behind', async () => {
    const staged = await store.stage(chunks('rejected'));
    await staged.discard();
    await staged.discard();
    expect(await filesUnder(store.root)).toEqual([]);
    await expect(staged.commit()).rejects.toThrow(/already committed or discarded/);
  });

  it('a failing source leaves no temp file', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.from('partial'));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(store.stage(failing)).rejects.toThrow('client went away');
    expect(await filesUnder(store.root)).toEqual([]);
  });

  it('read verifies the sha256', async () => {
    const { sha256: digest } = await (await store.stage(chunks('original'))).commit();
    await fs.writeFile(store.pathFor(digest), 'tampered');
    await expect(store.read(digest)).rejects.toBeInstanceOf(ArtifactIntegrityError);
  });

  it('read of an unknown digest is ArtifactNotFoundError', async () => {
    await expect(store.read(sha256('never stored'))).rejects.toBeInstanceOf(ArtifactNotFoundError);
    await expect(store.openReadStream(sha256('never stored'))).rejects.toBeInstanceOf(ArtifactNotFoundError);
  });

  it('openReadStream serves the bytes and fails at the end when they are corrupt', async () => {
    const { sha256: digest } = await (await store.stage(chunks('streamed bytes'))).commit();
    const good = await store.openReadStream(digest);
    expect(good.sizeBytes).toBe(14);
    expect(await text(good.stream)).toBe('streamed bytes');

    await fs.writeFile(store.pathFor(digest), 'streamed bytez');
    const bad = await store.openReadStream(digest);
    await expect(text(bad.stream)).rejects.toBeInstanceOf(ArtifactIntegrityError);
  });

  it('committing good bytes repairs a corrupt copy', async () => {
    const { sha256: digest } = await (await store.stage(chunks('precious'))).commit();
    await fs.writeFile(store.pathFor(digest), 'rotten!!');
    await (await store.stage(chunks('precious'))).commit();
    expect((await store.read(digest)).toString()).toBe('precious');
  });

  it('rejects anything but a sha256 digest as a key', () => {
    expect(() => store.pathFor('../../etc/passwd')).toThrow(/not a sha256/);
    expect(() => store.uriFor('ABC')).toThrow(/not a sha256/);
  });

  it('init removes stale temp files only', async () => {
    const tempDir = path.join(store.root, FileArtifactStore.TEMP_DIR);
    await fs.writeFile(path.join(tempDir, 'old.part'), 'x');
    await fs.writeFile(path.join(tempDir, 'fresh.part'), 'y');
    const old = new Date(Date.now() - 2 * FileArtifactStore.STALE_TEMP_MS);
    await fs.utimes(path.join(tempDir, 'old.part'), old, old);
    await store.init();
    expect(await fs.readdir(tempDir)).toEqual(['fresh.part']);
  });
});
