import { createHash } from "node:crypto";

const SAFE = /^[A-Za-z0-9_.:/=-]{1,200}$/;

/**
 * Makes a caller's key safe for Redis: a short key of plain characters is kept as it is (readable in
 * redis-cli), anything else is hashed. `#` starts only hashed keys, so the two never collide.
 */
export function normalizeKey(key: string): string {
  return SAFE.test(key) ? key : `#${createHash("sha256").update(key).digest("base64url")}`;
}

/**
 * Redis key names of one cache. The entry, its version, its lease and its waiters' mark share a hash tag, so
 * the Lua scripts that touch them together work on Redis Cluster; all tag versions of a cache share another.
 */
export class KeySpace {
  readonly channel: string;
  constructor(readonly prefix: string) {
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) throw new Error(`invalid cache prefix: ${prefix}`);
    this.channel = `${prefix}:bus`;
  }
  data(k: string) {
    return `${this.prefix}:{${k}}:d`;
  }
  version(k: string) {
    return `${this.prefix}:{${k}}:v`;
  }
  lease(k: string) {
    return `${this.prefix}:{${k}}:l`;
  }
  /** Set while another process waits for the lease: only then does the fill publish its wake-up. */
  waiters(k: string) {
    return `${this.prefix}:{${k}}:w`;
  }
  tag(tag: string) {
    return `${this.prefix}:{${this.prefix}:tags}:${normalizeKey(tag)}`;
  }
  /** The key space's generation, beside the tags so one MGET reads both; `@` never starts a normalized tag. */
  get generation() {
    return `${this.prefix}:{${this.prefix}:tags}:@gen`;
  }
}
