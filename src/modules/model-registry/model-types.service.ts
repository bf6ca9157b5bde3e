import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ChangeFeed } from '../../database/change-feed.service.js';
import { ModelTypeRepository } from './model-type.repository.js';
import { ModelRegistryError } from './model-registry.errors.js';
import { requireModelType } from './registry-lookups.js';

export interface ModelTypeRecord {
  name: string;
  task: string;
  description: string | null;
  labels: string[];
  createdAt: Date;
  /** The version in production, or null when the model type has none. */
  productionVersion: string | null;
}

export interface CreateModelTypeInput {
  name: string;
  task: string;
  description?: string | null;
  labels?: string[];
}

/** The topic on the change feed when a model type's versions or stages change (key: the model type). */
export const MODEL_VERSIONS_TOPIC = 'model_versions';

/** A name missing from the cached list of registered model types is looked up again at most this often. */
export const MODEL_TYPE_RECHECK_MS = 1000;
/** Single-name existence checks for names missing from the cached list, per second and instance. */
export const MODEL_TYPE_MISS_CHECKS_PER_SECOND = 10;

/**
 * Model types: creating, reading and checking names. A new type is announced on the change feed
 * (topic `model_versions`, key = the name) so other instances learn it at once.
 */
@Injectable()
export class ModelTypesService implements OnModuleInit, OnModuleDestroy {
  /** Names of the registered model types (they are never deleted, so a name once seen stays true). */
  private registered: Set<string> | null = null;
  private registeredReadAt = -Infinity;
  /** Set by a change-feed notice about a name not in the list: the next miss re-reads at once. */
  private registeredStale = false;
  private readingRegistered: Promise<Set<string>> | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly types: ModelTypeRepository,
    private readonly changes: ChangeFeed,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.changes.subscribe((change) => {
      const unseen = change.topic === MODEL_VERSIONS_TOPIC && change.key !== undefined && !this.registered?.has(change.key);
      if (change.topic === '*' || unseen) this.registeredStale = true;
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  async createModelType(input: CreateModelTypeInput): Promise<ModelTypeRecord> {
    // Checked first so the usual duplicate is not logged as a failed query; the unique key still
    // decides a race.
    if (await this.types.exists(input.name)) throw ModelRegistryError.duplicateType(input.name);
    if (!(await this.types.insert({ name: input.name, task: input.task, description: input.description ?? null, labels: input.labels ?? [] }))) {
      throw ModelRegistryError.duplicateType(input.name);
    }
    this.registered?.add(input.name);
    // Other instances learn the name at once instead of after their next re-read.
    await this.changes.publish({ topic: MODEL_VERSIONS_TOPIC, key: input.name });
    const [created] = await this.types.list(input.name);
    return created!;
  }

  async listModelTypes(): Promise<ModelTypeRecord[]> {
    return this.types.list();
  }

  async getModelType(name: string): Promise<ModelTypeRecord> {
    const [found] = await this.types.list(name);
    if (!found) throw ModelRegistryError.typeNotFound(name);
    return found;
  }

  /** Every registered model type name, sorted (for "did you mean …?" answers). */
  listModelTypeNames(): Promise<string[]> {
    return this.types.listNames();
  }

  modelTypeExists(modelType: string): Promise<boolean> {
    return this.types.exists(modelType);
  }

  /** Throws MODEL_TYPE_NOT_FOUND; lets an upload be refused before its body is read. */
  requireModelType(modelType: string): Promise<void> {
    return requireModelType(this.types, modelType);
  }

  /**
   * Whether `name` is a registered model type, from a cached list of names: a hit costs a Set
   * lookup, and a miss re-reads the list at most once per MODEL_TYPE_RECHECK_MS (at once after a
   * change-feed notice names an unknown type), so callers that send made-up names — every user
   * token can — cost the database one small query a second at most, however many names they try.
   */
  async isRegisteredModelType(name: string): Promise<boolean> {
    if (this.registered?.has(name)) return true;
    const listIsCurrent = this.registered && !this.registeredStale && performance.now() - this.registeredReadAt < MODEL_TYPE_RECHECK_MS;
    if (!listIsCurrent && (await this.readRegisteredModelTypes()).has(name)) return true;
    // A type registered on another instance moments ago may be missing from the list (its NOTIFY
    // still in flight, or a list read that began before its commit): ask for the one name, within
    // a small budget per second, so made-up names cannot load the database.
    // Concurrent misses for one name share one check.
    const inFlight = this.missChecksInFlight.get(name);
    if (inFlight) return inFlight;
    if (!this.takeMissCheck()) return false;
    const check = this.modelTypeExists(name)
      .then((exists) => {
        if (exists) this.registered?.add(name);
        return exists;
      })
      .finally(() => this.missChecksInFlight.delete(name));
    this.missChecksInFlight.set(name, check);
    return check;
  }

  private readonly missChecksInFlight = new Map<string, Promise<boolean>>();

  private missChecks = { windowStart: 0, used: 0 };

  private takeMissCheck(): boolean {
    const now = performance.now();
    if (now - this.missChecks.windowStart >= 1000) this.missChecks = { windowStart: now, used: 0 };
    if (this.missChecks.used >= MODEL_TYPE_MISS_CHECKS_PER_SECOND) return false;
    this.missChecks.used += 1;
    return true;
  }

  private readRegisteredModelTypes(): Promise<Set<string>> {
    this.readingRegistered ??= (async () => {
      const started = performance.now();
      this.registeredStale = false;
      const names = new Set(await this.types.listNames());
      this.registered = names;
      this.registeredReadAt = started;
      return names;
    })().finally(() => {
      this.readingRegistered = null;
    });
    return this.readingRegistered;
  }
}
