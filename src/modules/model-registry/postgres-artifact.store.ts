import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import {
  ArtifactIntegrityError,
  ArtifactNotFoundError,
  FileArtifactStore,
  type ArtifactStore,
  type StagedArtifact,
  type StoredArtifact,
} from './artifact-store.js';

/** Bytes per stored chunk: large enough for few round trips, small enough to stream. */
export const CHUNK_BYTES = 1024 * 1024;
/** Chunks read per statement when streaming an artifact out (bounds memory to a few MiB). */
const CHUNKS_PER_READ = 4;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** What the start-up import of a DATA_DIR file store found. */
export interface LegacyImport {
  /** Files moved into PostgreSQL now. */
  imported: number;
  /** Files whose bytes were already in PostgreSQL. */
  alreadyStored: number;
  /** Files whose bytes do not hash to their name: left in place, not imported. */
  corrupt: string[];
  /** Model versions whose artifact is in PostgreSQL nowhere (another instance's DATA_DIR still holds it?). */
  missing: Array<{ modelType: string; version: string; sha256: string }>;
}

interface ArtifactHeader {
  size_bytes: string;
  chunks: number;
}

/**
 * Artifacts in PostgreSQL, so instances share nothing but the database: `model_artifacts` (one
 * row per sha256: the bytes are stored once however many versions use them) and
 * `model_artifact_chunks` (1 MiB bytea chunks, streamed in and out, never the whole artifact in a
 * statement). Every read is verified against the sha256.
 *
 * DATA_DIR/artifacts is a read-through cache (and the upload staging area): a version loaded once
 * is read from the local file afterwards, verified on every read; a missing or corrupt local copy
 * is fetched again from PostgreSQL. An instance with an empty DATA_DIR serves every version.
 *
 * The cache has the layout of the former file store, so on upgrade `importLegacyFiles` moves an
 * existing file store into PostgreSQL (idempotent; run at every start).
 */
export class PostgresArtifactStore implements ArtifactStore {
  private readonly logger = new Logger('ArtifactStore');
  /** Concurrent fetches of one artifact into the cache share one fetch. */
  private readonly fetching = new Map<string, Promise<void>>();

  constructor(
    private readonly dataSource: DataSource,
    readonly cache: FileArtifactStore,
  ) {}

  uriFor(sha256: string): string {
    assertSha256(sha256);
    return `postgres:model_artifacts/${sha256}`;
  }

  async stage(source: Readable | AsyncIterable<Uint8Array>): Promise<StagedArtifact> {
    const local = await this.cache.stage(source);
    let committed: StoredArtifact | null = null;
    return {
      sha256: local.sha256,
      sizeBytes: local.sizeBytes,
      readBytes: () => local.readBytes(),
      commit: async () => {
        if (committed) throw new Error('the staged artifact was already committed');
        // PostgreSQL first (the shared copy), then the local file becomes this instance's cache.
        await this.storeFile(local.path, local.sha256, local.sizeBytes);
        await local.commit();
        committed = { uri: this.uriFor(local.sha256), sha256: local.sha256, sizeBytes: local.sizeBytes };
        return committed;
      },
      discard: () => local.discard(),
    };
  }

  async has(sha256: string): Promise<boolean> {
    assertSha256(sha256);
    return (await this.header(sha256)) !== null;
  }

  async read(sha256: string): Promise<Buffer> {
    assertSha256(sha256);
    try {
      return await this.cache.read(sha256);
    } catch (error) {
      if (error instanceof ArtifactIntegrityError) {
        this.logger.warn(`the cached copy of sha256:${sha256} is corrupt; fetching it again from PostgreSQL`);
      } else if (!(error instanceof ArtifactNotFoundError)) {
        throw error;
      }
    }
    await this.fetchIntoCache(sha256);
    return this.cache.read(sha256);
  }

  async openReadStream(sha256: string): Promise<{ sizeBytes: number; stream: Readable }> {
    assertSha256(sha256);
    const header = await this.header(sha256);
    if (!header) throw new ArtifactNotFoundError(sha256);
    // Checked before the first byte is sent (the sha256 can only be checked at the end, after the
    // status line): the chunks add up to the size. octet_length of an out-of-line value reads its
    // TOAST pointer, not the bytes.
    const [stored] = (await this.dataSource.query(
      'SELECT count(*)::int AS chunks, coalesce(sum(octet_length(data)), 0)::text AS size_bytes FROM model_artifact_chunks WHERE sha256 = $1',
      [sha256],
    )) as ArtifactHeader[];
    if (stored!.chunks !== header.chunks || stored!.size_bytes !== String(header.size_bytes)) {
      throw new ArtifactIntegrityError(sha256, `${stored!.chunks} chunks of ${stored!.size_bytes} bytes instead of ${header.chunks} of ${header.size_bytes}`);
    }
    const verify = new VerifyingTransform(sha256);
    const source = Readable.from(this.chunks(sha256, header.chunks));
    source.on('error', (error) => verify.destroy(error));
    return { sizeBytes: Number(header.size_bytes), stream: source.pipe(verify) };
  }

  /**
   * Moves the artifacts of a DATA_DIR file store (the cache's layout) into PostgreSQL: each file is
   * verified against its name while it is copied, so a corrupt file is never imported. Then points
   * the versions' `artifact_uri` at PostgreSQL and lists versions whose artifact is still nowhere.
   * Safe to run on every start and on several instances at once.
   */
  async importLegacyFiles(): Promise<LegacyImport> {
    const result: LegacyImport = { imported: 0, alreadyStored: 0, corrupt: [], missing: [] };
    const files = await this.cachedFiles();
    if (files.length > 0) {
      const present = new Set(
        ((await this.dataSource.query('SELECT sha256 FROM model_artifacts WHERE sha256 = ANY($1::text[])', [files.map((f) => f.sha256)])) as Array<{ sha256: string }>).map(
          (row) => row.sha256,
        ),
      );
      for (const file of files) {
        if (present.has(file.sha256)) {
          result.alreadyStored++;
          continue;
        }
        try {
          const { size } = await fs.stat(file.path);
          if (await this.storeFile(file.path, file.sha256, size)) result.imported++;
          else result.alreadyStored++;
        } catch (error) {
          if (!(error instanceof ArtifactIntegrityError)) throw error;
          result.corrupt.push(file.path);
        }
      }
    }
    await this.dataSource.query(
      `UPDATE model_versions v SET artifact_uri = 'postgres:model_artifacts/' || v.sha256
        WHERE v.artifact_uri NOT LIKE 'postgres:%' AND EXISTS (SELECT 1 FROM model_artifacts a WHERE a.sha256 = v.sha256)`,
    );
    const missing = (await this.dataSource.query(
      `SELECT model_type, version, sha256 FROM model_versions v
        WHERE NOT EXISTS (SELECT 1 FROM model_artifacts a WHERE a.sha256 = v.sha256) ORDER BY model_type, version`,
    )) as Array<{ model_type: string; version: string; sha256: string }>;
    result.missing = missing.map((row) => ({ modelType: row.model_type, version: row.version, sha256: row.sha256 }));
    return result;
  }

  /**
   * Deletes artifacts no model version references and that are older than `graceHours` (an upload
   * stores its bytes just before the version row; the grace keeps those). Returns how many.
   */
  async deleteUnreferenced(graceHours = 24): Promise<number> {
    const [{ deleted }] = (await this.dataSource.query(
      `WITH gone AS (
         DELETE FROM model_artifacts a
          WHERE a.created_at < now() - make_interval(hours => $1)
            AND NOT EXISTS (SELECT 1 FROM model_versions v WHERE v.sha256 = a.sha256)
         RETURNING 1)
       SELECT count(*)::int AS deleted FROM gone`,
      [graceHours],
    )) as [{ deleted: number }];
    return deleted;
  }

  // ---- internals ---------------------------------------------------------------------------

  private async header(sha256: string): Promise<ArtifactHeader | null> {
    const rows = (await this.dataSource.query('SELECT size_bytes, chunks FROM model_artifacts WHERE sha256 = $1', [sha256])) as ArtifactHeader[];
    return rows[0] ?? null;
  }

  /**
   * Copies a local file into PostgreSQL under `sha256` in one transaction: the header row first
   * (a concurrent copy of the same bytes waits on it and then finds it), then the chunks, hashing
   * as they go; bytes that do not hash to `sha256` roll everything back. Returns false when the
   * bytes were already stored.
   */
  private async storeFile(file: string, sha256: string, sizeBytes: number): Promise<boolean> {
    const chunks = Math.ceil(sizeBytes / CHUNK_BYTES);
    return this.dataSource.transaction(async (manager: EntityManager) => {
      const fresh = (await manager.query(
        `INSERT INTO model_artifacts (sha256, size_bytes, chunk_bytes, chunks) VALUES ($1, $2, $3, $4)
         ON CONFLICT (sha256) DO NOTHING RETURNING sha256`,
        [sha256, sizeBytes, CHUNK_BYTES, chunks],
      )) as unknown[];
      if (fresh.length === 0) return false;
      const hash = createHash('sha256');
      let seq = 0;
      let total = 0;
      for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
        const bytes = chunk as Buffer;
        hash.update(bytes);
        total += bytes.length;
        await manager.query('INSERT INTO model_artifact_chunks (sha256, seq, data) VALUES ($1, $2, $3)', [sha256, seq++, bytes]);
      }
      const actual = hash.digest('hex');
      if (actual !== sha256 || total !== sizeBytes || seq !== chunks) throw new ArtifactIntegrityError(sha256, total !== sizeBytes ? `${total} bytes instead of ${sizeBytes}` : actual);
      return true;
    });
  }

  /** The stored chunks in order, a few per statement (each statement stands alone: pooler-safe). */
  private async *chunks(sha256: string, expected: number): AsyncGenerator<Buffer> {
    let next = 0;
    while (next < expected) {
      const rows = (await this.dataSource.query(
        'SELECT seq, data FROM model_artifact_chunks WHERE sha256 = $1 AND seq >= $2 ORDER BY seq LIMIT $3',
        [sha256, next, CHUNKS_PER_READ],
      )) as Array<{ seq: number; data: Buffer }>;
      if (rows.length === 0) break;
      for (const row of rows) {
        if (row.seq !== next) throw new ArtifactIntegrityError(sha256, `chunk ${next} is missing`);
        next++;
        yield row.data;
      }
    }
    if (next !== expected) throw new ArtifactIntegrityError(sha256, `${next} of ${expected} chunks stored`);
  }

  private fetchIntoCache(sha256: string): Promise<void> {
    let pending = this.fetching.get(sha256);
    if (!pending) {
      pending = (async () => {
        const header = await this.header(sha256);
        if (!header) throw new ArtifactNotFoundError(sha256);
        const staged = await this.cache.stage(this.chunks(sha256, header.chunks));
        if (staged.sha256 !== sha256) {
          await staged.discard();
          throw new ArtifactIntegrityError(sha256, staged.sha256);
        }
        await staged.commit();
      })().finally(() => this.fetching.delete(sha256));
      this.fetching.set(sha256, pending);
    }
    return pending;
  }

  /** Files in the cache folder whose names are sha256 digests (`sha256/ab/cdef…`). */
  private async cachedFiles(): Promise<Array<{ sha256: string; path: string }>> {
    const base = path.join(this.cache.root, 'sha256');
    const prefixes = await fs.readdir(base).catch(() => [] as string[]);
    const files: Array<{ sha256: string; path: string }> = [];
    for (const prefix of prefixes) {
      const names = await fs.readdir(path.join(base, prefix)).catch(() => [] as string[]);
      for (const name of names) {
        const sha256 = prefix + name;
        if (SHA256_HEX.test(sha256)) files.push({ sha256, path: path.join(base, prefix, name) });
      }
    }
    return files;
  }
}

function assertSha256(sha256: string): void {
  if (!SHA256_HEX.test(sha256)) throw new Error(`not a sha256 hex digest: ${JSON.stringify(sha256)}`);
}

/** Passes bytes through and fails at the end (instead of finishing) when they do not hash to `sha256`. */
class VerifyingTransform extends Transform {
  private readonly hash = createHash('sha256');

  constructor(private readonly sha256: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.hash.digest('hex');
    callback(actual === this.sha256 ? null : new ArtifactIntegrityError(this.sha256, actual));
  }
}
