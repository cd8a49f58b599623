import type { Database, UnitOfWork } from '@ipay/platform';
import type * as schema from '../db/schema.ts';

export type Db = Database<typeof schema>;
export type Uow = UnitOfWork<typeof schema>;

/** Thrown inside a unit of work when applying an event turned out to change nothing: rolls back, no audit record. */
export class NothingToApply extends Error {
  constructor() {
    super('nothing to apply');
  }
}

export async function unlessNothingToApply(work: () => Promise<unknown>): Promise<boolean> {
  try {
    await work();
    return true;
  } catch (error) {
    if (error instanceof NothingToApply) return false;
    throw error;
  }
}
