import { LoaderTimeoutError } from "./errors.ts";
import type { EntryOptions, LoadContext, Loader } from "./types.ts";

/** Loaders without a hard timeout are never aborted; one shared signal spares an allocation per load. */
const NEVER_ABORTED = new AbortController().signal;

/** What a load asked to be cached beside its own value (`LoadContext.alsoFill`). */
export interface AlsoFilled {
  key: string;
  value: unknown;
  ttl?: number;
}

/** A bypassed load may still call `alsoFill`: nothing is cached. */
const NOWHERE = () => {};

/** Runs a loader under its hard timeout, if any: past it, the loader's signal is aborted and the call fails. */
export async function runLoader<T>(
  key: string,
  loader: Loader<T>,
  o: Pick<EntryOptions, "hardTimeout">,
  alsoFill: LoadContext["alsoFill"] = NOWHERE,
): Promise<T> {
  if (o.hardTimeout === undefined) return loader({ key, signal: NEVER_ABORTED, alsoFill });
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new LoaderTimeoutError(key, o.hardTimeout as number));
    }, o.hardTimeout);
  });
  try {
    return await Promise.race([loader({ key, signal: controller.signal, alsoFill }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
