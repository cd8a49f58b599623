/**
 * The permission catalogue: `resource:action`. Every guarded field or mutation names one of these, and the
 * built-in roles are sets of them. Adding a capability means adding its permission here first.
 */
export const PERMISSIONS = [
  'merchants:read',
  'merchants:create',
  'merchants:update',
  'merchants:onboard',
  'merchants:approve',
  'users:read',
  'users:manage',
  'roles:read',
  'roles:manage',
  'api_keys:read',
  'api_keys:manage',
  'partners:manage',
  'audit:read',
  'orders:read',
  'orders:create',
  'orders:update',
  'orders:cancel',
  'orders:import',
  'integrations:read',
  'integrations:manage',
  'payments:read',
  'payments:create',
  'payments:capture',
  'payments:refund',
  'shipments:read',
  'shipments:create',
  'shipments:scan',
  'releases:read',
  'releases:verify',
  'tariffs:read',
  'tariffs:manage',
  'settlements:read',
  'settlements:create',
  'settlements:approve',
  'settlements:manage',
  'webhooks:read',
  'webhooks:manage',
  'events:read',
  // Platform back office (finance): carrier invoices and internal controls.
  'carrier_invoices:read',
  'carrier_invoices:manage',
  'controls:read',
  'controls:run',
  'localization:read',
  'localization:manage',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const PERMISSION_SET = new Set<string>(PERMISSIONS);
export const isPermission = (value: string): value is Permission => PERMISSION_SET.has(value);

/** Permissions only platform staff may hold, whatever a merchant's custom role says. */
// Settlements are IPAY's payouts: fee schedules, closing and paying them (`settlements:manage`) and the CFO's
// four-eyes approval (`settlements:approve`) are IPAY staff's, never a merchant's own.
export const PLATFORM_ONLY: readonly Permission[] = [
  'merchants:create',
  'merchants:approve',
  'partners:manage',
  'settlements:manage',
  'settlements:approve',
  'carrier_invoices:read',
  'carrier_invoices:manage',
  'controls:read',
  'controls:run',
];
const merchantWide = PERMISSIONS.filter((p) => !PLATFORM_ONLY.includes(p));
// Read permissions a merchant's roles may hold (platform back-office reads such as carrier invoices are staff's).
const readOnly = merchantWide.filter((p) => p.endsWith(':read'));

export type DataScopeKind = 'OWN_MERCHANT' | 'MERCHANTS' | 'CARRIERS' | 'ALL';

export interface BuiltInRole {
  key: string;
  name: string;
  permissions: readonly Permission[];
  /** The scope a grant of this role gets when none is given. */
  defaultScope: DataScopeKind;
}

export const BUILT_IN_ROLES: readonly BuiltInRole[] = [
  { key: 'owner', name: 'Owner', permissions: merchantWide, defaultScope: 'OWN_MERCHANT' },
  {
    key: 'admin',
    name: 'Administrator',
    // Everything an owner can do except changing who holds which role.
    permissions: merchantWide.filter((p) => p !== 'roles:manage'),
    defaultScope: 'OWN_MERCHANT',
  },
  {
    key: 'developer',
    name: 'Developer',
    permissions: [...readOnly, 'api_keys:manage', 'webhooks:manage', 'integrations:manage', 'orders:create', 'orders:import', 'payments:create'],
    defaultScope: 'OWN_MERCHANT',
  },
  {
    key: 'finance',
    name: 'Finance',
    permissions: ['orders:read', 'payments:read', 'payments:refund', 'settlements:read', 'settlements:approve', 'audit:read', 'merchants:read'],
    defaultScope: 'OWN_MERCHANT',
  },
  { key: 'operator', name: 'Platform operator', permissions: PERMISSIONS, defaultScope: 'ALL' },
  {
    key: 'support',
    name: 'Support',
    permissions: [
      'merchants:read',
      'users:read',
      'orders:read',
      'orders:update',
      'payments:read',
      'shipments:read',
      'releases:read',
      'audit:read',
      'events:read',
    ],
    defaultScope: 'OWN_MERCHANT',
  },
  { key: 'read_only', name: 'Read only', permissions: readOnly, defaultScope: 'OWN_MERCHANT' },
  {
    key: 'carrier_partner',
    name: 'Carrier partner',
    permissions: ['shipments:read', 'shipments:scan', 'releases:verify', 'events:read'],
    defaultScope: 'CARRIERS',
  },
];

export const builtInRole = (key: string) => BUILT_IN_ROLES.find((role) => role.key === key);
