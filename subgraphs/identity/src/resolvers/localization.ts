import { badUserInput, notFound } from '@ipay/platform';
import type { MessageTemplateResolvers, MutationResolvers, QueryResolvers } from '../generated/graphql.ts';
import { MESSAGE_KEYS } from '../domain/localization/index.ts';
import * as templates from '../app/templates.ts';

/** Localization: message templates with versions, rendering down the fallback chain, missing-key reports. */
export const localizationQueries: Pick<QueryResolvers, 'messageKeys' | 'messageTemplates' | 'messageTemplate' | 'renderMessage' | 'missingMessageKeys'> = {
  messageKeys: (_, __, { auth }) => {
    auth.requirePrincipal();
    return MESSAGE_KEYS.map((k) => ({ ...k, arguments: Object.entries(k.arguments).map(([name, type]) => ({ name, type })) }));
  },
  messageTemplates: (_, args, { db, auth }) => templates.listTemplates(db, auth, args),
  messageTemplate: (_, args, { db, auth }) => templates.getTemplate(db, auth, args),
  renderMessage: async (_, { merchantId, locale, key, values }, { db, auth }) => {
    templates.requireRead(auth, merchantId);
    if (values != null && (typeof values !== 'object' || Array.isArray(values))) throw badUserInput('values', 'must be an object of argument values');
    return templates.render(db, {
      merchantId: merchantId ?? null,
      livemode: auth.livemode,
      locale: templates.parseLocale(locale),
      key,
      values: (values ?? {}) as Record<string, unknown>,
    });
  },
  missingMessageKeys: async (_, { merchantId, locales }, { db, auth }) => {
    templates.requireRead(auth, merchantId);
    const parsed = locales ? [...new Set(locales.map((l, i) => templates.parseLocale(l, `locales.${i}`)))] : null;
    return templates.missingReport(db, merchantId ?? null, auth.livemode, parsed);
  },
};

export const localizationMutations: Pick<MutationResolvers, 'publishMessageTemplate'> = {
  publishMessageTemplate: (_, { input }, { auth, mutate }) => mutate((uow) => templates.publishTemplate(uow, auth, input)),
};

export const MessageTemplate: MessageTemplateResolvers = {
  message: async (template, _, { loaders }) =>
    (await loaders.versionsByTemplateId.load(template.id)).find((v) => v.version === template.latestVersion)!.message,
  versions: (template, _, { loaders }) => loaders.versionsByTemplateId.load(template.id),
  version: async (template, { version }, { loaders }) => {
    const wanted = version ?? template.latestVersion;
    const found = (await loaders.versionsByTemplateId.load(template.id)).find((v) => v.version === wanted);
    if (!found) throw notFound('MessageTemplateVersion', `${template.id}@${wanted}`);
    return found;
  },
};
