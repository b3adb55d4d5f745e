/**
 * The options that are set: an unset environment variable arrives as `undefined`, and spreading it over
 * the defaults would erase them.
 */
export const definedOnly = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
