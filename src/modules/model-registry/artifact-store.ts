import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** An artifact in the store: its bytes are addressed by their sha256. */
export interface StoredArtifact {
  /** Where the store keeps it (informational: artifacts are read back by sha256). */
  uri: string;
  sha256: string;
  sizeBytes: number;
}

/**
 * Bytes written to the store's staging area, hashed while they arrived, but not yet in the store:
 * the caller validates them and then commits or discards. Nothing is left behind by a discard.
 */
export interface StagedArtifact {
  readonly sha256: string;
  readonly sizeBytes: number;
  readBytes(): Promise<Buffer>;
  /** Moves the bytes under their hash. Storing bytes that are already there keeps one copy. */
  commit(): Promise<StoredArtifact>;
  /** Removes the staged bytes; does nothing after a commit or a previous discard. */
  discard(): Promise<void>;
}

/** A staged artifact that is a local file (the file store's staging area). */
export interface LocalStagedArtifact extends StagedArtifact {
  readonly path: string;
}

/**
 * Content-addressed artifact storage. The registry only talks to this interface: the service uses
 * PostgresArtifactStore (bytes in PostgreSQL, DATA_DIR as a read-through cache); an object store
 * (S3, GCS) can implement it the same way, keeping the local FileArtifactStore as its cache.
 */
export interface ArtifactStore {
  /** Streams `source` into the staging area while computing its sha256 and size. */
  stage(source: Readable | AsyncIterable<Uint8Array>): Promise<StagedArtifact>;
  uriFor(sha256: string): string;
  /** The whole artifact, verified against its sha256 (ArtifactNotFoundError / ArtifactIntegrityError). */
  read(sha256: string): Promise<Buffer>;
  /**
   * A stream of the artifact that fails at its end (instead of finishing) when the bytes do not
   * hash to `sha256`, so a download of a corrupt file never completes successfully.
   */
  openReadStream(sha256: string): Promise<{ sizeBytes: number; stream: Readable }>;
  has(sha256: string): Promise<boolean>;
}

/** Injection token of the ArtifactStore. */
export const ARTIFACT_STORE = Symbol('ArtifactStore');

export class ArtifactNotFoundError extends Error {
  constructor(readonly sha256: string) {
    super(`artifact sha256:${sha256} is not in the store`);
    this.name = 'ArtifactNotFoundError';
  }
}

export class ArtifactIntegrityError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`artifact sha256:${expected} is corrupt (its bytes hash to ${actual})`);
    this.name = 'ArtifactIntegrityError';
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function assertSha256(sha256: string): void {
  // Also what keeps a path built from it inside the store.
  if (!SHA256_HEX.test(sha256)) throw new Error(`not a sha256 hex digest: ${JSON.stringify(sha256)}`);
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/** Passes bytes through while hashing and counting them. */
class HashingTransform extends Transform {
  private readonly hash = createHash('sha256');
  sizeBytes = 0;
  /** Hex sha256 of everything that passed, set when the stream ends. */
  digest = '';

  constructor(private readonly onEnd?: (sha256: string, sizeBytes: number) => Error | null) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.sizeBytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digest = this.hash.digest('hex');
    callback(this.onEnd?.(this.digest, this.sizeBytes) ?? null);
  }
}

/**
 * Artifacts as files under `root` (DATA_DIR/artifacts): `sha256/ab/cdef…` for the digest
 * `abcdef…`. Uploads go to `tmp/` on the same file system, are fsynced, and are renamed into
 * place, so a reader never sees a partial file and a crash leaves at most a stale temp file
 * (removed at the next start). The service uses it as the local cache and staging area of
 * PostgresArtifactStore; on its own, several instances would need a shared volume for `root`.
 */
export class FileArtifactStore implements ArtifactStore {
  static readonly TEMP_DIR = 'tmp';
  /** Temp files older than this are leftovers of a crashed upload. */
  static readonly STALE_TEMP_MS = 60 * 60 * 1000;

  constructor(readonly root: string) {}

  /** Creates the folders and removes temp files a crashed process left behind. */
  async init(now = Date.now()): Promise<void> {
    const tempDir = path.join(this.root, FileArtifactStore.TEMP_DIR);
    await fs.mkdir(tempDir, { recursive: true });
    for (const name of await fs.readdir(tempDir)) {
      const file = path.join(tempDir, name);
      const stat = await fs.stat(file).catch(() => null);
      // Another instance sharing the folder may be uploading right now: only old files go.
      if (stat && now - stat.mtimeMs > FileArtifactStore.STALE_TEMP_MS) await fs.rm(file, { force: true });
    }
  }

  pathFor(sha256: string): string {
    assertSha256(sha256);
    return path.join(this.root, 'sha256', sha256.slice(0, 2), sha256.slice(2));
  }

  uriFor(sha256: string): string {
    assertSha256(sha256);
    return `local:sha256/${sha256.slice(0, 2)}/${sha256.slice(2)}`;
  }

  async stage(source: Readable | AsyncIterable<Uint8Array>): Promise<LocalStagedArtifact> {
    const tempDir = path.join(this.root, FileArtifactStore.TEMP_DIR);
    await fs.mkdir(tempDir, { recursive: true });
    const tempPath = path.join(tempDir, `${randomUUID()}.part`);
    const hasher = new HashingTransform();
    try {
      await pipeline(source, hasher, createWriteStream(tempPath, { flags: 'wx', mode: 0o644 }));
      const handle = await fs.open(tempPath, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      await fs.rm(tempPath, { force: true });
      throw error;
    }
    return this.staged(tempPath, hasher.digest, hasher.sizeBytes);
  }

  private staged(tempPath: string, sha256: string, sizeBytes: number): LocalStagedArtifact {
    let settled = false;
    return {
      path: tempPath,
      sha256,
      sizeBytes,
      readBytes: () => fs.readFile(tempPath),
      commit: async () => {
        if (settled) throw new Error('the staged artifact was already committed or discarded');
        const target = this.pathFor(sha256);
        await fs.mkdir(path.dirname(target), { recursive: true });
        // Renaming over an existing copy is atomic and leaves one file; it also repairs a copy
        // that was damaged on disk, since these bytes were just hashed.
        await fs.rename(tempPath, target);
        settled = true;
        return { uri: this.uriFor(sha256), sha256, sizeBytes };
      },
      discard: async () => {
        if (settled) return;
        settled = true;
        await fs.rm(tempPath, { force: true });
      },
    };
  }

  async read(sha256: string): Promise<Buffer> {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(this.pathFor(sha256));
    } catch (error) {
      if (isNotFound(error)) throw new ArtifactNotFoundError(sha256);
      throw error;
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) throw new ArtifactIntegrityError(sha256, actual);
    return bytes;
  }

  async openReadStream(sha256: string): Promise<{ sizeBytes: number; stream: Readable }> {
    const file = this.pathFor(sha256);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (error) {
      if (isNotFound(error)) throw new ArtifactNotFoundError(sha256);
      throw error;
    }
    const { size } = await handle.stat();
    const verify = new HashingTransform((actual) => (actual === sha256 ? null : new ArtifactIntegrityError(sha256, actual)));
    const source = handle.createReadStream({ autoClose: true });
    source.on('error', (error) => verify.destroy(error));
    return { sizeBytes: size, stream: source.pipe(verify) };
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await fs.access(this.pathFor(sha256));
      return true;
    } catch {
      return false;
    }
  }
}
