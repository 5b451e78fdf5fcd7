/**
 * Owner identity now lives in the platform layer (src/platform/identity.ts); these names stay
 * for code that still imports them from here.
 */
export { currentOwner, isOwnerAlive, isProcessAlive, readProcess, type ProcessInfo } from '../platform/identity.js';
export { statFields } from '../platform/procfs.js';
