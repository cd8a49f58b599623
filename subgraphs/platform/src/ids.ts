import { uuidv7 } from 'uuidv7';

/** Time-ordered, prefixed ids (`ord_0193…`): sortable by creation, type visible at a glance. */
export function newId(prefix: string): string {
  return `${prefix}_${uuidv7().replaceAll('-', '')}`;
}
