export { DEFAULT_SCENARIO, type PspSandbox, type SandboxDelivery, type SandboxOperation, type SandboxOutcome, type SandboxScenario } from './core.ts';
export { startAdyenSandbox, type AdyenSandboxOptions } from './adyen.ts';
export { startStripeSandbox, type StripeSandboxOptions } from './stripe.ts';
export { startMollieSandbox, type MollieSandboxOptions } from './mollie.ts';
