import { groupLoader, type Database } from '@ipay/platform';
import type { MessageTemplateVersionRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { templateVersions } from '../app/templates.ts';

/** Versions of many templates in one statement (the templates were scope-checked when they were loaded). */
export function createLocalizationLoaders(db: Database<typeof schema>) {
  return {
    versionsByTemplateId: groupLoader<string, MessageTemplateVersionRow>(
      (ids) => templateVersions(db, ids),
      (row) => row.templateId,
    ),
  };
}
