import type { RedisClient } from "@printfab/cache";
import type { Logger } from "@printfab/platform";

/** The right to slice one key, renewed while held. */
export interface SliceLease {
  release(): Promise<void>;
}

/** Who slices a key: one holder at a time, across every MES instance that shares the store. */
export interface SliceLeases {
  /** The key's lease, or undefined when another instance holds it. */
  acquire(key: string): Promise<SliceLease | undefined>;
}

/** One process, nobody to share with: its in-process flights already make one slicing per key. */
export const localLeases: SliceLeases = {
  acquire: async () => ({ release: async () => {} }),
};

export interface RedisLeaseOptions {
  /** A holder that stops renewing (a crash) frees the key after this long. */
  ttlMs: number;
  /** Renewal period: a few renewals fit in one TTL, so one slow round trip does not lose the lease. */
  renewMs: number;
}

export const DEFAULT_LEASE: RedisLeaseOptions = { ttlMs: 15_000, renewMs: 5_000 };

const RENEW =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0";
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

/**
 * Leases in Redis: `SET NX PX` with a random token, renewed every `renewMs` while the slicer runs, released
 * by compare-and-delete. The cache's own load lease is not used for this: it is short and not renewed, so a
 * waiter would give up and slice too while a long slice runs, and a long one would block a key for long
 * after a crash. When Redis cannot be reached the lease is granted: slicing twice is better than not at all.
 */
export class RedisSliceLeases implements SliceLeases {
  /** Leases found lost at a renewal (expired or taken while their slice ran): tests and logs. */
  lost = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly options: RedisLeaseOptions = DEFAULT_LEASE,
  ) {}

  async acquire(key: string): Promise<SliceLease | undefined> {
    const name = `${this.prefix}{${key}}`;
    const token = crypto.randomUUID();
    try {
      const ok = await this.redis.set(name, token, "PX", this.options.ttlMs, "NX");
      if (ok !== "OK") return undefined;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, key }, "slice lease not reachable; slicing without it");
      return { release: async () => {} };
    }
    const timer = setInterval(() => {
      this.redis.eval(RENEW, 1, name, token, this.options.ttlMs).then(
        (renewed) => {
          if (renewed !== 0) return;
          // Expired (a long stall) or taken over: another instance may be slicing this key too. Its result
          // is the same content-addressed bytes, so ours still counts; later renewals would fail alike.
          clearInterval(timer);
          this.lost++;
          this.logger.warn({ key }, "slice lease lost while slicing; the key may be sliced twice");
        },
        (err: Error) => this.logger.warn({ err: err.message, key }, "slice lease renewal failed"),
      );
    }, this.options.renewMs);
    timer.unref();
    return {
      release: async () => {
        clearInterval(timer);
        await this.redis.eval(RELEASE, 1, name, token).catch(() => undefined);
      },
    };
  }
}
