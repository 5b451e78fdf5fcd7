import { describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../src/config/types.js';
import { diffServices } from '../../src/supervisor/service-diff.js';
import { serviceConfig } from '../helpers/service-config.js';

const service = (name: string, overrides: Partial<ServiceConfig> = {}): ServiceConfig => serviceConfig({ cwd: '/w', portCount: 1, ready: { kind: 'port' }, name, ...overrides });

describe('diffServices', () => {
  it('sorts a reload into added, changed and removed; a new port count means new ports', () => {
    const before = [service('api'), service('web'), service('db'), service('cache')];
    const after = [service('api'), service('web', { env: { A: '1' } }), service('cache', { portCount: 2 }), service('queue')];
    expect(diffServices(before, after, new Set(['api', 'web', 'db', 'cache']))).toEqual({
      added: ['cache', 'queue'],
      changed: ['web'],
      removed: ['db', 'cache'],
    });
  });

  it('leaves services that are not running (not selected with --only) out of changed and removed', () => {
    expect(diffServices([service('api'), service('web')], [service('api'), service('web', { env: { A: '1' } })], new Set(['api']))).toEqual({ added: [], changed: [], removed: [] });
  });
});
